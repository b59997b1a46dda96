"""Form pieces about users that every app's forms share."""

from __future__ import annotations

from . import policy


def owner_choices(kind: str, blank: str = "Unassigned") -> list[tuple[str | int, str]]:
    """The users a record of this kind may be assigned to, for an owner picker; one query."""
    return [("", blank), *((u.pk, str(u)) for u in policy.possible_owners(kind))]
