"""Reading and writing files users hand us: UTF-8 text, lines, CSV with row-numbered errors."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, TextIO

from stance.errors import StanceError

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# Long texts (a 1 MB line) are data, not a malformed file.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
# Spreadsheet convention: the header is row 1, the first data row is row 2.
FIRST_DATA_ROW = 2
STDIN = "<stdin>"
# Streamed input is read in blocks of this size: memory is bounded by the longest line, not the file.
BLOCK = 1 << 16
NUL_MESSAGE = "contains NUL bytes; this looks like a binary file, not text"
# csv wants the records of a text stream opened with newline='': lines end at \r\n, \r or \n.
_CSV_LINE_END = re.compile(r"(\r\n|\r|\n)")


def resolve_path(path: str | Path) -> Path:
    """Absolute paths as given; relative ones from the working directory, else the project root."""
    path = Path(path).expanduser()
    if path.is_absolute() or path.exists():
        return path
    candidate = PROJECT_ROOT / path
    return candidate if candidate.exists() else path


def read_text_file(path: str | Path) -> str:
    """Read a UTF-8 text file (BOM tolerated) or fail with one clear line."""
    path = Path(path)
    if not path.exists():
        raise StanceError(f"{path}: no such file")
    if path.is_dir():
        raise StanceError(f"{path}: is a folder, expected a file")
    return decode_text(path.read_bytes(), str(path))


def read_stdin() -> str:
    return decode_text(sys.stdin.buffer.read(), STDIN)


def decode_text(raw: bytes, source: str) -> str:
    """Decode UTF-8 bytes, rejecting binary content with a message naming the source."""
    if b"\x00" in raw:
        raise StanceError(f"{source}: {NUL_MESSAGE}")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise StanceError(f"{source}, line {line}: not valid UTF-8 ({err.reason})") from None


def split_lines(text: str) -> list[str]:
    """Split on \\n and \\r\\n only (str.splitlines also splits on U+2028, form feeds, ...)."""
    return text.replace("\r\n", "\n").split("\n")


def iter_lines(
    stream: BinaryIO, source: str, csv_line_ends: bool = False, progress: Callable[[int], None] | None = None
) -> Iterator[str]:
    """The lines of a UTF-8 byte stream, decoded, each with its line end; read block by block.

    Streaming keeps memory bounded by the longest line whatever the file size, and still gives
    the one-line errors `decode_text` gives for a whole file: NUL bytes (checked per block
    before decoding, so a binary file is called binary, not mis-encoded) and the line of the
    first byte that is not UTF-8. A BOM is dropped. Lines end at \n (a \r before it stays in
    the line, as in `split_lines`); `csv_line_ends` also ends them at a lone \r, as csv reads a
    file opened with newline=''. `progress` is called with the size of each block read.
    """
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    read = getattr(stream, "read1", stream.read)  # read1: a pipe's lines flow as they arrive
    newlines = 0  # \n bytes before the current block, for error line numbers
    pending: list[str] = []  # an unterminated line, possibly over several blocks
    while True:
        block = read(BLOCK)
        if b"\x00" in block:
            raise StanceError(f"{source}: {NUL_MESSAGE}")
        try:
            text = decoder.decode(block, final=not block)
        except UnicodeDecodeError as err:
            # err.object is this block plus the (at most 3, \n-free) bytes of a split character.
            line = newlines + err.object[: err.start].count(b"\n") + 1
            raise StanceError(f"{source}, line {line}: not valid UTF-8 ({err.reason})") from None
        newlines += block.count(b"\n")
        if progress is not None and block:
            progress(len(block))
        if not block:
            if pending and (rest := "".join(pending)):
                yield rest
            return
        held_cr = csv_line_ends and pending and pending[-1].endswith("\r")  # a lone \r unless \n follows
        if "\n" not in text and not (csv_line_ends and "\r" in text) and not held_cr:
            pending.append(text)
            continue
        text = "".join(pending) + text
        pending = []
        if not csv_line_ends:
            lines = text.split("\n")
            pending.append(lines.pop())
            for line in lines:
                yield line + "\n"
            continue
        parts = _CSV_LINE_END.split(text)  # line, end, line, end, ..., unterminated rest
        rest = parts.pop()
        if not rest and parts[-1] == "\r":  # a \r\n may be split over two blocks
            rest = parts.pop(-2) + parts.pop()
        pending.append(rest)
        for i in range(0, len(parts), 2):
            yield parts[i] + parts[i + 1]


def read_csv_records(lines: Iterable[str], source: str) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """The header of CSV lines, read at once, and an iterator over (row number, row) after it.

    The header is checked before any row is read (a missing column fails at once, not after
    a long file); rows are padded to the header's width, blank lines skipped (their numbers
    still count, as a spreadsheet shows them), and a row wider than the header is an error
    naming its row: an unquoted comma would otherwise shift every later field.
    """
    reader = csv.reader(lines, strict=True)
    try:
        header = next(reader, None)
    except csv.Error as err:
        raise StanceError(f"{source}: malformed CSV ({err})") from None
    if header is None or not any(h.strip() for h in header):
        raise StanceError(f"{source}: empty file (expected a CSV header line)")
    header = [h.strip() for h in header]
    duplicated = sorted({h for h in header if h and header.count(h) > 1})
    if duplicated:
        raise StanceError(f"{source}: column {duplicated[0]!r} appears more than once in the header")
    return header, _csv_rows(reader, header, source)


def _csv_rows(reader, header: list[str], source: str) -> Iterator[tuple[int, list[str]]]:
    row_number = FIRST_DATA_ROW - 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            raise StanceError(f"{source}, line {reader.line_num}: malformed CSV ({err})") from None
        row_number += 1
        if not row:
            continue  # blank line
        if len(row) > len(header):
            raise StanceError(
                f"{source}, row {row_number}: {len(row)} fields but the header has {len(header)} (an unquoted comma?)"
            )
        yield row_number, row + [""] * (len(header) - len(row))


def parse_csv(text: str, source: str) -> tuple[list[str], list[list[str]]]:
    """Parse CSV text into (header, rows); a row with more fields than the header is an error."""
    header, records = read_csv_records(io.StringIO(text, newline=""), source)
    return header, [row for _, row in records]


def fingerprint_bytes(raw: bytes) -> str:
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def write_csv(path_or_stream, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """Write rows as CSV with \\n line ends to a path or an open text stream."""
    if hasattr(path_or_stream, "write"):
        writer = csv.writer(path_or_stream, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
        return
    with atomic_file(path_or_stream) as stream:
        write_csv(stream, header, rows)


@contextmanager
def atomic_file(path: str | Path, binary: bool = False) -> Iterator[TextIO]:
    """Open a file for writing (UTF-8 text, or bytes) that appears only when complete.

    Written to a temporary file beside `path`, flushed to disk, then renamed over it (keeping
    the old file's permissions) and the rename made durable: readers and a killed run never
    see a half-written file, and two writers never interleave.
    """
    path = Path(path)
    if path.is_dir():
        raise StanceError(f"{path}: is a folder, expected a file to write")
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.tmp-{os.getpid()}-", dir=path.parent)
    try:
        text = {} if binary else {"newline": "", "encoding": "utf-8"}
        with os.fdopen(descriptor, "wb" if binary else "w", **text) as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, path.stat().st_mode & 0o777 if path.exists() else 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    fsync_folder(path.parent)


def fsync_folder(folder: Path) -> None:
    """Make a rename or a new file in `folder` durable (a no-op where folders cannot be opened)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def write_bytes(path: str | Path, data: bytes) -> None:
    """Write a whole file atomically and durably (see `atomic_file`)."""
    with atomic_file(path, binary=True) as stream:
        stream.write(data)


def write_text(path: str | Path, text: str) -> None:
    """Write a whole text file atomically (see `atomic_file`)."""
    with atomic_file(path) as stream:
        stream.write(text)
