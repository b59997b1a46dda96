"""What the wizard shows of a file before any job: its first rows, and each picklist
column's distinct values with their counts and the key each maps to."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

from .mapping import Mapping
from .picklists import Picklist
from .reading import FileShape, Row, read_rows

SAMPLE_ROWS = 3
# The value screen reads this many rows; the dry run then checks every row.
SCANNED_ROWS = 100_000
SHOWN_VALUES = 60


@dataclass(frozen=True)
class ValueChoice:
    header: str
    field: str
    value: str
    count: int
    key: str | None  # what it maps to now ('' blank, None unmapped)


def first_rows(path: Path, shape: FileShape) -> list[Row]:
    return list(islice(read_rows(path, shape), SAMPLE_ROWS))


def column_values(path: Path, shape: FileShape, header: str) -> list[str]:
    """A column's distinct values in the first SCANNED_ROWS rows (a new picklist's values)."""
    found: set[str] = set()
    for row in islice(read_rows(path, shape), SCANNED_ROWS):
        found.add(row.values.get(header, "").strip())
    return sorted(found - {""})


def value_choices(
    path: Path, shape: FileShape, mapping: Mapping, picklists: dict[str, Picklist]
) -> list[ValueChoice]:
    """Every picklist column's distinct values (most frequent first, at most SHOWN_VALUES
    per column) in the first SCANNED_ROWS rows, and what each maps to."""
    columns = {h: f for h, f in mapping.columns.items() if f in picklists}
    counts: dict[str, Counter[str]] = {header: Counter() for header in columns}
    for row in islice(read_rows(path, shape), SCANNED_ROWS):
        for header in columns:
            value = row.values.get(header, "").strip()
            if value:
                counts[header][value] += 1
    choices = []
    for header, name in columns.items():
        for value, count in counts[header].most_common(SHOWN_VALUES):
            translated = mapping.translate(name, value)
            key = picklists[name].find(value) if translated is None else translated
            if translated:
                key = picklists[name].find(translated)
            choices.append(ValueChoice(header, name, value, count, key))
    return choices
