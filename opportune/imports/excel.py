"""Excel workbooks (.xlsx), read and written in streaming modes: the first sheet is read row
by row (openpyxl's read-only mode) and exports are written row by row (write-only mode), so
a million-row file never sits in memory.

One thing read-only mode still holds in memory is the workbook's shared strings table, where
Excel keeps every distinct text of the file: for a million rows of names and emails that is
millions of strings. They are spilled to a temporary file instead, with only their offsets
in memory (8 bytes each).
"""

from __future__ import annotations

import datetime as dt
import mmap
import tempfile
import zipfile
from array import array
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, cast, overload
from xml.etree.ElementTree import Element, iterparse

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.text import Text
from openpyxl.reader.excel import ExcelReader
from openpyxl.utils.exceptions import IllegalCharacterError, InvalidFileException
from openpyxl.xml.constants import SHARED_STRINGS, SHEET_MAIN_NS

ZIP_MAGIC = b"PK\x03\x04"
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# What a broken or foreign zip file raises while it is opened as a workbook.
BROKEN = (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError, EOFError)


def is_xlsx(path: Path) -> bool:
    """Whether the file is a zip archive (an .xlsx workbook is one), from its first bytes."""
    with path.open("rb") as raw:
        return raw.read(4) == ZIP_MAGIC


class SpilledStrings(Sequence[str]):
    """The shared strings, UTF-8 in a temporary file, looked up by index through mmap."""

    def __init__(self) -> None:
        # Closed by ``close`` (the sheet's reading outlives this call).
        self.file: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115
        self.offsets = array("q", [0])
        self.view: mmap.mmap | None = None

    def append(self, text: str) -> None:
        data = text.encode("utf-8", "surrogatepass")
        self.file.write(data)
        self.offsets.append(self.offsets[-1] + len(data))

    def seal(self) -> None:
        self.file.flush()
        if self.offsets[-1]:
            self.view = mmap.mmap(self.file.fileno(), 0, access=mmap.ACCESS_READ)

    def close(self) -> None:
        if self.view is not None:
            self.view.close()
        self.file.close()

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...
    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        start, end = self.offsets[index], self.offsets[index + 1]
        if self.view is None or start == end:
            return ""
        return self.view[start:end].decode("utf-8", "replace")


def _spill_strings(source: IO[bytes], strings: SpilledStrings) -> None:
    """openpyxl's ``read_string_table``, each string written out as it is parsed and its
    element dropped from the tree."""
    item = f"{{{SHEET_MAIN_NS}}}si"
    root: Element | None = None
    for event, node in iterparse(source, events=("start", "end")):
        if root is None:
            root = node
        if event == "end" and node.tag == item:
            text = Text.from_tree(node)
            strings.append("" if text is None else text.content.replace("x005F_", ""))
            root.clear()


class _Reader(ExcelReader):
    """openpyxl's reader with the shared strings spilled to disk."""

    def read_strings(self) -> None:
        self.spilled = SpilledStrings()
        part = self.package.find(SHARED_STRINGS)  # type: ignore[no-untyped-call]
        if part is not None:
            with self.archive.open(part.PartName[1:]) as source:
                _spill_strings(source, self.spilled)
        self.spilled.seal()
        self.shared_strings = cast("list[str]", self.spilled)  # looked up by index only


def _cell_text(value: Any) -> str:
    """A cell as the text a CSV file would hold: whole numbers without '.0', dates in ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


class Sheet:
    """The first worksheet of a workbook, opened for streaming (use it as a context)."""

    def __init__(self, path: Path) -> None:
        # An open file, not a name: openpyxl would refuse a name not ending in .xlsx.
        self.source = path.open("rb")
        reader = _Reader(self.source, read_only=True, data_only=True)
        self.reader = reader
        try:
            reader.read()
            # Typed Any: the stubs type ``iter_rows`` for editable worksheets only.
            self.worksheet: Any = reader.wb.worksheets[0]
            # The row count the sheet declares; then every row is read whatever it declares
            # (openpyxl would stop at it, and some writers declare 'A1').
            self.declared_rows: int | None = self.worksheet.max_row
            self.worksheet.reset_dimensions()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        spilled = getattr(self.reader, "spilled", None)
        if spilled is not None:
            spilled.close()
        self.reader.archive.close()
        self.source.close()

    def __enter__(self) -> Sheet:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """(Excel row number, cells as text) for every row, the header row included."""
        for number, cells in enumerate(self.worksheet.iter_rows(values_only=True), start=1):
            yield number, [_cell_text(value) for value in cells]

    def size(self) -> int:
        """The sheet's row count: as it declares it, else counted."""
        if self.declared_rows is not None and self.declared_rows > 1:
            return self.declared_rows
        return sum(1 for _ in self.worksheet.iter_rows(values_only=True))


def _typed(value: Any) -> Any:
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)  # Excel has no time zones
    return value


def write_workbook(out: IO[bytes], headers: list[str], rows: Iterable[Sequence[Any]]) -> None:
    """A one-sheet workbook: the header row, then the rows, typed (text is always text, never
    a formula, so a cell starting with '=' needs no guard)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(headers)
    for row in rows:
        cells: list[Any] = []
        for value in row:
            if isinstance(value, str):
                cell = WriteOnlyCell(sheet)
                try:
                    cell.value = value
                except IllegalCharacterError:
                    cell.value = "".join(c for c in value if c >= " " or c in "\t\n\r")
                cell.data_type = "s"
                cells.append(cell)
            elif isinstance(value, Decimal | int | float | bool | dt.date | dt.time):
                cells.append(_typed(value))
            else:
                cells.append(None if value is None else str(value))
        sheet.append(cells)
    book.save(out)
