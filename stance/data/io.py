"""Reading and writing files users hand us: UTF-8 text, lines, CSV with row-numbered errors."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import sys
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from stance.errors import StanceError

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# Long texts (a 1 MB line) are data, not a malformed file.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
# Spreadsheet convention: the header is row 1, the first data row is row 2.
FIRST_DATA_ROW = 2
STDIN = "<stdin>"


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
        raise StanceError(f"{source}: contains NUL bytes; this looks like a binary file, not text")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise StanceError(f"{source}, line {line}: not valid UTF-8 ({err.reason})") from None


def split_lines(text: str) -> list[str]:
    """Split on \\n and \\r\\n only (str.splitlines also splits on U+2028, form feeds, ...)."""
    return text.replace("\r\n", "\n").split("\n")


def parse_csv(text: str, source: str) -> tuple[list[str], list[list[str]]]:
    """Parse CSV text into (header, rows); a row with more fields than the header is an error."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None or not any(h.strip() for h in header):
            raise StanceError(f"{source}: empty file (expected a CSV header line)")
        header = [h.strip() for h in header]
        duplicated = sorted({h for h in header if h and header.count(h) > 1})
        if duplicated:
            raise StanceError(f"{source}: column {duplicated[0]!r} appears more than once in the header")
        rows = []
        for row_number, row in enumerate(reader, start=FIRST_DATA_ROW):
            if not row:
                continue  # blank line
            if len(row) > len(header):
                raise StanceError(
                    f"{source}, row {row_number}: {len(row)} fields but the header has "
                    f"{len(header)} (an unquoted comma?)"
                )
            rows.append(row + [""] * (len(header) - len(row)))
    except csv.Error as err:
        raise StanceError(f"{source}: malformed CSV ({err})") from None
    return header, rows


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
def atomic_file(path: str | Path) -> Iterator[TextIO]:
    """Open a text file for writing that appears only when complete.

    Written to a temporary file beside `path`, flushed to disk, then renamed over it: readers
    and a killed run never see a half-written file, and two writers never interleave.
    """
    path = Path(path)
    if path.is_dir():
        raise StanceError(f"{path}: is a folder, expected a file to write")
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.tmp-{os.getpid()}-", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", newline="", encoding="utf-8") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_text(path: str | Path, text: str) -> None:
    """Write a whole text file atomically (see `atomic_file`)."""
    with atomic_file(path) as stream:
        stream.write(text)
