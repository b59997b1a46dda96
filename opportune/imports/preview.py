"""What the wizard shows of a file before any job: its first rows, and each picklist
column's distinct values with their counts and the key each maps to."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

from .mapping import Mapping
from .picklists import Picklist
from .reading import FileShape, read_rows

SAMPLE_ROWS = 3
SAMPLE_SCAN = 200
# Row numbers shown beside a value on the value screen.
SHOWN_LINES = 5
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
    label: str = ""  # the key's label
    lines: tuple[int, ...] = ()  # the first SHOWN_LINES rows holding the value


def first_values(path: Path, shape: FileShape) -> dict[str, list[str]]:
    """Each column's first SAMPLE_ROWS non-blank values within the first SAMPLE_SCAN rows:
    a sparse column (a mobile phone, a custom field) shows what it holds, not blanks."""
    found: dict[str, list[str]] = {header: [] for header in shape.headers}
    for row in islice(read_rows(path, shape), SAMPLE_SCAN):
        for header, values in found.items():
            value = row.values.get(header, "").strip()
            if value and len(values) < SAMPLE_ROWS:
                values.append(value)
    return found


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
    lines: dict[tuple[str, str], list[int]] = {}
    for row in islice(read_rows(path, shape), SCANNED_ROWS):
        for header in columns:
            value = row.values.get(header, "").strip()
            if value:
                counts[header][value] += 1
                held = lines.setdefault((header, value), [])
                if len(held) < SHOWN_LINES:
                    held.append(row.line)
    choices = []
    for header, name in columns.items():
        for value, count in counts[header].most_common(SHOWN_VALUES):
            translated = mapping.translate(name, value)
            key = picklists[name].find(value) if translated is None else translated
            if translated:
                key = picklists[name].find(translated)
            label = picklists[name].choices.get(key, "") if key else ""
            shown = tuple(lines[header, value])
            choices.append(ValueChoice(header, name, value, count, key, label, shown))
    return choices
