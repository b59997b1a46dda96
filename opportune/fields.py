"""Field values that services share a rule about: what counts as empty, and filling only the
empty fields of a record (conversion into existing records, web-to-lead resubmissions, the
demo's conversions), never overwriting what someone typed."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any


def is_empty(value: Any, placeholders: Collection[Any] = ()) -> bool:
    """None and "" are empty (False and 0 are values); so is a placeholder such as the
    "[not provided]" a web form writes into a required field it did not ask for."""
    return value is None or value == "" or value in placeholders


def fill_empty(
    record: Any, values: Iterable[tuple[str, Any]], placeholders: Collection[Any] = ()
) -> list[str]:
    """Set each named field that is empty on ``record`` to its non-empty value; answer the
    fields set, in order."""
    filled = []
    for name, value in values:
        if not is_empty(value) and is_empty(getattr(record, name), placeholders):
            setattr(record, name, value)
            filled.append(name)
    return filled
