"""Reading uploaded CSV files: encoding and delimiter detection, line numbers, and rows that
cannot be parsed reported instead of stopping the file."""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from opportune.errors import RuleViolation

SAMPLE_BYTES = 256 * 1024
# One field may hold up to 1 MB; a longer one (a 10 MB line) becomes a row error.
MAX_FIELD_CHARS = 1024 * 1024
DELIMITERS = ",;\t|"

csv.field_size_limit(MAX_FIELD_CHARS)


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
    """UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252 when the sample holds
    bytes 0x80-0x9F that it defines (a Windows export), else Latin-1 (every byte is valid)."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in sample:
        raise UnreadableFile("This is not a text file (it holds NUL bytes); export it as CSV.")
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        c1 = sample.translate(None, _NOT_C1)
        if c1 and not any(b in _CP1252_UNDEFINED for b in set(c1)):
            return "cp1252"
        return "latin-1"
    return "utf-8"


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


def inspect(path: Path, encoding: str = "", delimiter: str = "") -> FileShape:
    """Encoding, delimiter and headers of a file, from its first bytes."""
    with path.open("rb") as raw:
        sample = raw.read(SAMPLE_BYTES)
    if not sample.strip():
        raise UnreadableFile("The file is empty.")
    encoding = check_encoding(encoding) if encoding else detect_encoding(sample)
    try:
        text = sample.decode(encoding, errors="ignore" if len(sample) == SAMPLE_BYTES else "strict")
    except (UnicodeDecodeError, LookupError) as exc:
        raise UnreadableFile(f"The file cannot be read as {encoding}: {exc}.") from exc
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


def read_rows(path: Path, shape: FileShape, skip: int = 0) -> Iterator[Row]:
    """Every data row after the first ``skip`` ones, as {header: value}.

    A row that cannot be read (a field over 1 MB, a stray quote, bytes not valid in the
    encoding) is yielded with its ``problem``, and the reading goes on.
    """
    with _text_lines(path, shape.encoding) as (lines, bad_lines):
        reader = csv.reader(lines, delimiter=shape.delimiter)
        headers = shape.headers
        width = len(headers)
        try:
            next(reader)
        except StopIteration:
            return
        index, line = 0, reader.line_num + 1
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                index += 1
                if index > skip:
                    yield Row(line, {}, f"The row cannot be read: {exc}.")
                line = reader.line_num + 1
                continue
            start, line = line, reader.line_num + 1
            if not cells or (len(cells) == 1 and not cells[0].strip()):
                continue
            index += 1
            if index <= skip:
                continue
            problem = ""
            if bad_lines and any(n in bad_lines for n in range(start, line)):
                problem = (
                    f"Line {start} is not valid {shape.encoding}; choose the file's encoding "
                    "(e.g. latin-1) to import it."
                )
            elif len(cells) > width and any(c.strip() for c in cells[width:]):
                problem = f"The row has {len(cells)} cells but the header names {width}."
            yield Row(start, dict(zip(headers, cells, strict=False)), problem)


def count_rows(path: Path, shape: FileShape) -> int:
    """How many data rows the file holds (one pass of the csv parser, no validation)."""
    total = 0
    with path.open(encoding=shape.encoding, newline="", errors="replace") as text:
        reader = csv.reader(text, delimiter=shape.delimiter)
        next(reader, None)
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return total
            except csv.Error:
                total += 1
                continue
            if cells and (len(cells) > 1 or cells[0].strip()):
                total += 1
