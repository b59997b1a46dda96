"""Reading uploaded CSV files: encoding and delimiter detection, line numbers, and rows that
cannot be parsed reported instead of stopping the file. Excel workbooks (.xlsx, recognised by
their content) are read through ``excel.py``, their row numbers standing for line numbers."""

from __future__ import annotations

import codecs
import csv
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import charset_normalizer

from opportune.errors import RuleViolation

from . import excel

# Encoding, delimiter and headers are read from this first part of the file: a header line
# longer than it is refused with the upload.
SAMPLE_BYTES = 256 * 1024
# One field may hold up to 1 MB; a longer one (a 10 MB line) becomes a row error.
MAX_FIELD_CHARS = 1024 * 1024
# A quoted field may span up to this many lines (notes with newlines); a quote still open
# after them, or at the end of the file, is an unterminated quote: that row is reported and
# its following lines are read as rows again.
MAX_ROW_LINES = 1000
DELIMITERS = ",;\t|"
# The ``encoding`` of a workbook's shape: its cells are read as text by ``excel.py``.
XLSX = "xlsx"

csv.field_size_limit(MAX_FIELD_CHARS)

# What a spreadsheet reads as the start of a formula (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def guard(cell: str) -> str:
    """The cell as an export writes it: a leading ``'`` before a formula start."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def unguard(cell: str) -> str:
    """The cell as exported before ``guard``: its ``'`` before a formula start taken off."""
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS) else cell


class UnreadableFile(RuleViolation):
    """The file is not a CSV text file this importer can read (a 422 naming ``file``)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail, {"file": [detail]})


@dataclass(frozen=True)
class FileShape:
    encoding: str
    delimiter: str
    headers: list[str]


@dataclass(frozen=True)
class Row:
    line: int  # the file line where the row starts (the header is line 1)
    values: dict[str, str]
    problem: str = ""  # set when the row could not be parsed


# Bytes that cp1252 maps to printable characters (curly quotes, the euro sign, dashes) and
# latin-1 to invisible C1 control characters; cp1252 leaves five of them undefined.
_NOT_C1 = bytes(b for b in range(256) if not 0x80 <= b < 0xA0)
_CP1252_UNDEFINED = b"\x81\x8d\x8f\x90\x9d"


def detect_encoding(sample: bytes) -> str:
    """UTF-8 (with or without BOM) or UTF-16 with BOM; else what charset-normalizer finds
    when the text is in another script (Cyrillic cp1251, Shift-JIS, GB18030...); else, for
    Latin text, Windows-1252 when the sample holds bytes 0x80-0x9F that it defines (a Windows
    export), else Latin-1 (every byte is valid). Small Latin samples are where statistical
    detection guesses wrong (cp1250, cp775), so those keep the Western default; a Central
    European file names its encoding (``cp1250``)."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in sample:
        raise UnreadableFile("This is not a text file (it holds NUL bytes); export it as CSV.")
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        other = _other_script(sample)
        if other:
            return other
        c1 = sample.translate(None, _NOT_C1)
        if c1 and not any(b in _CP1252_UNDEFINED for b in set(c1)):
            return "cp1252"
        return "latin-1"
    return "utf-8"


def _other_script(sample: bytes) -> str:
    """charset-normalizer's encoding for the sample when most of its letters, so decoded,
    are not Latin ('' otherwise)."""
    best = charset_normalizer.from_bytes(sample).best()
    if best is None:
        return ""
    letters = [c for c in str(best) if c.isalpha()]
    latin = sum(1 for c in letters if c.isascii() or unicodedata.name(c, "").startswith("LATIN"))
    return str(best.encoding) if letters and latin < len(letters) / 2 else ""


def check_encoding(name: str) -> str:
    """The encoding given by the user, once Python knows it as a text encoding."""
    try:
        info = codecs.lookup(name)
    except LookupError as exc:
        raise UnreadableFile(f"'{name}' is not an encoding this importer knows.") from exc
    if not getattr(info, "_is_text_encoding", True):
        raise UnreadableFile(f"'{name}' is not a text encoding.")
    return name


def sniff_delimiter(text: str) -> str:
    lines = [line for line in text.splitlines()[:50] if line.strip()]
    if not lines:
        return ","
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=DELIMITERS).delimiter
    except csv.Error:
        counts = {d: lines[0].count(d) for d in DELIMITERS}
        return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


@contextmanager
def _sheet(path: Path) -> Iterator[excel.Sheet]:
    try:
        sheet = excel.Sheet(path)
    except excel.BROKEN as exc:
        raise UnreadableFile(
            "The file is a zip archive but not an Excel workbook (.xlsx) this importer can "
            f"read: {exc}."
        ) from exc
    with sheet:
        yield sheet


def _inspect_workbook(path: Path) -> FileShape:
    with _sheet(path) as sheet:
        _, headers = next(sheet.rows(), (0, []))
    headers = [h.strip() for h in headers]
    while headers and not headers[-1]:
        headers.pop()
    if not any(headers):
        raise UnreadableFile("The first row of the first sheet holds no column names.")
    return FileShape(XLSX, ",", headers)


def inspect(path: Path, encoding: str = "", delimiter: str = "") -> FileShape:
    """Encoding, delimiter and headers of a file, from its first bytes."""
    if excel.is_xlsx(path):
        return _inspect_workbook(path)
    with path.open("rb") as raw:
        sample = raw.read(SAMPLE_BYTES)
    if not sample.strip():
        raise UnreadableFile("The file is empty.")
    encoding = check_encoding(encoding) if encoding else detect_encoding(sample)
    try:
        text = sample.decode(encoding, errors="ignore" if len(sample) == SAMPLE_BYTES else "strict")
    except (UnicodeDecodeError, LookupError) as exc:
        raise UnreadableFile(f"The file cannot be read as {encoding}: {exc}.") from exc
    if len(sample) == SAMPLE_BYTES and "\n" not in text and "\r" not in text:
        raise UnreadableFile(
            f"The first line is longer than {SAMPLE_BYTES // 1024} KB: it should name the "
            "columns. Is this a CSV file?"
        )
    delimiter = delimiter or sniff_delimiter(text)
    headers = next(csv.reader(text.splitlines()[:1], delimiter=delimiter), [])
    headers = [h.strip() for h in headers]
    if not any(headers):
        raise UnreadableFile("The first line holds no column names.")
    return FileShape(encoding, delimiter, headers)


class _Lines:
    """The file's lines, decoded one by one: a line that is not valid in the encoding is
    decoded with replacement characters and remembered, so only its row fails."""

    def __init__(self, raw: IO[bytes], encoding: str) -> None:
        self.raw = raw
        self.encoding = encoding
        self.bad: set[int] = set()
        self.number = 0

    def __iter__(self) -> Iterator[str]:
        decode = codecs.getdecoder(self.encoding)
        for line in self.raw:
            self.number += 1
            try:
                yield decode(line)[0]
            except UnicodeDecodeError:
                self.bad.add(self.number)
                yield decode(line, "replace")[0]


@contextmanager
def _text_lines(path: Path, encoding: str) -> Iterator[tuple[Iterable[str], set[int]]]:
    if encoding.startswith("utf-16"):  # two-byte newlines: let the codec split the lines
        with path.open(encoding=encoding, newline="", errors="replace") as text:
            yield text, set()
        return
    with path.open("rb") as raw:
        if encoding == "utf-8-sig" and raw.read(3) != codecs.BOM_UTF8:
            raw.seek(0)
        lines = _Lines(raw, "utf-8" if encoding == "utf-8-sig" else encoding)
        yield lines, lines.bad


UNTERMINATED = (
    "Line {line} opens a quote that is not closed (unterminated quote): the quoted field "
    f"would run past {MAX_ROW_LINES:,} lines, 1 MB or the end of the file."
)


class _Unterminated(Exception):
    """A quoted field ran past ``MAX_ROW_LINES`` lines or to the end of the file."""


class _Feed:
    """The file's lines for the csv reader, numbered, with the lines of the row being read
    kept: a row whose quote never closes is reported, and its following lines are read again
    as the rows they are."""

    def __init__(self, lines: Iterable[str]) -> None:
        self.lines = iter(lines)
        self.number = 0  # the last line handed to the reader
        self.row: list[str] = []  # the lines of the row being read
        self.again: list[str] = []  # lines to hand out again, last first

    def start_row(self) -> int:
        self.row = []
        return self.number + 1

    def rewind(self) -> None:
        """Hand out again every line of the current row after its first one."""
        self.again.extend(reversed(self.row[1:]))
        self.number -= len(self.row) - 1
        self.row = []

    def __iter__(self) -> Iterator[str]:
        again, lines = self.again, self.lines
        while True:
            line = again.pop() if again else next(lines, None)
            if line is None:
                if self.row:  # the reader wants more: a quote is still open at the end
                    raise _Unterminated
                return
            self.number += 1
            row = self.row
            row.append(line)
            if len(row) > MAX_ROW_LINES:
                raise _Unterminated
            yield line


def _rows(feed: _Feed, delimiter: str) -> Iterator[tuple[int, list[str] | None, str]]:
    """(first line, cells, problem) for every record after the header; cells is None when the
    record cannot be read."""
    reader = csv.reader(feed, delimiter=delimiter)
    feed.start_row()
    try:
        next(reader)
    except (StopIteration, _Unterminated):
        return
    except csv.Error:
        pass  # an oversized header is refused by ``inspect``
    while True:
        start = feed.start_row()
        try:
            cells = next(reader)
        except StopIteration:
            return
        except (_Unterminated, csv.Error) as exc:
            if len(feed.row) > 1 or isinstance(exc, _Unterminated):
                feed.rewind()
                reader = csv.reader(feed, delimiter=delimiter)
                yield start, None, UNTERMINATED.format(line=start)
            else:
                yield start, None, f"The row cannot be read: {exc}."
            continue
        yield start, cells, ""


def read_rows(path: Path, shape: FileShape, skip: int = 0) -> Iterator[Row]:
    """Every data row after the first ``skip`` ones, as {header: value}.

    A row that cannot be read (a field over 1 MB, a stray quote, bytes not valid in the
    encoding, a quote never closed) is yielded with its ``problem``, and the reading goes on.
    """
    if shape.encoding == XLSX:
        yield from _workbook_rows(path, shape, skip)
        return
    with _text_lines(path, shape.encoding) as (lines, bad_lines):
        feed = _Feed(lines)
        headers = shape.headers
        width = len(headers)
        index = 0
        for start, cells, problem in _rows(feed, shape.delimiter):
            if cells is None:
                index += 1
                if index > skip:
                    yield Row(start, {}, problem)
                continue
            if not cells or (len(cells) == 1 and not cells[0].strip()):
                continue
            index += 1
            if index <= skip:
                continue
            if bad_lines and any(n in bad_lines for n in range(start, feed.number + 1)):
                problem = (
                    f"Line {start} is not valid {shape.encoding}; choose the file's encoding "
                    "(e.g. latin-1) to import it."
                )
            else:
                problem = _width_problem(cells, width)
            values = dict(zip(headers, map(unguard, cells), strict=False))
            yield Row(start, values, problem)


def _width_problem(cells: list[str], width: int) -> str:
    if len(cells) > width and any(c.strip() for c in cells[width:]):
        return f"The row has {len(cells)} cells but the header names {width}."
    return ""


def _workbook_rows(path: Path, shape: FileShape, skip: int) -> Iterator[Row]:
    headers = shape.headers
    index = 0
    with _sheet(path) as sheet:
        rows = sheet.rows()
        next(rows, None)  # the header row
        for number, cells in rows:
            if not any(cell.strip() for cell in cells):
                continue
            index += 1
            if index <= skip:
                continue
            values = dict(zip(headers, map(unguard, cells), strict=False))
            yield Row(number, values, _width_problem(cells, len(headers)))


def count_rows(path: Path, shape: FileShape) -> int:
    """How many data rows the file holds (one pass of the csv parser, no validation; a
    workbook's count is the one its sheet declares, blank rows included)."""
    if shape.encoding == XLSX:
        with _sheet(path) as sheet:
            return max(sheet.size() - 1, 0)
    total = 0
    with path.open(encoding=shape.encoding, newline="", errors="replace") as text:
        for _, cells, _ in _rows(_Feed(text), shape.delimiter):
            if cells is None or len(cells) > 1 or (cells and cells[0].strip()):
                total += 1
    return total
