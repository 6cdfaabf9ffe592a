"""Texts to classify, from arguments, a file or stdin, with their source positions.

`RowReader` streams them: a corpus of any size is read block by block and handed on row by
row, so `stance classify` keeps memory flat. `read_inputs` collects the same rows into lists
for the commands that need every text at once (`suggest`, `label`).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from stance.data.io import STDIN, iter_lines, read_csv_records
from stance.errors import StanceError

# Input formats by file suffix; anything else is one text a line.
FORMATS = ("txt", "csv", "jsonl")
_SUFFIXES = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
TEXT_FIELD = "text"


@dataclass(slots=True)
class Row:
    """One input row: `index` counts every row of the input from 0 (arguments, then the file's
    lines or CSV data rows), whichever shard it falls in; `text` is None when empty."""

    index: int
    text: str | None
    source: str
    number: int  # line, CSV row, or argument number, for messages
    unit: str  # "line", "row" or "argument"

    @property
    def position(self) -> str:
        if self.unit == "argument":
            return f"argument {self.number}"
        return f"{self.source}:{'row ' if self.unit == 'row' else ''}{self.number}"


def file_format(file: str, given: str | None = None) -> str:
    """The format of `--file`: `--format` when given, else by suffix (stdin: one text a line)."""
    if given is not None:
        return given
    suffix = Path(file).suffix.lower()
    if suffix == ".json":
        raise StanceError(f"{file}: a .json file; give JSON lines (.jsonl, one object a line) or --format")
    return _SUFFIXES.get(suffix, "txt")


class RowReader:
    """The rows of `texts` (arguments; '-' reads stdin lines) and then of `file`, one at a time.

    Nothing is read until iteration starts, except that opening a file checks it exists, and a
    CSV's header is read (and its text column found) when its first row is asked for.
    `bytes_read` and `total_bytes` (None for stdin) drive a progress bar.
    """

    def __init__(
        self,
        texts: Sequence[str] = (),
        file: str | None = None,
        text_field: str | None = None,
        input_format: str | None = None,
    ):
        self.texts = list(texts)
        self.file = file
        self.format = file_format(file, input_format) if file is not None else None
        if text_field is not None and self.format not in ("csv", "jsonl"):
            raise StanceError("--text-field is for .csv and .jsonl input (a text file is one text a line)")
        self.text_field = text_field or TEXT_FIELD
        self.bytes_read = 0
        self.total_bytes: int | None = None
        if file is not None and file != "-":
            path = Path(file)
            if not path.exists():
                raise StanceError(f"{path}: no such file")
            if path.is_dir():
                raise StanceError(f"{path}: is a folder, expected a file")
            self.total_bytes = path.stat().st_size

    def _count(self, n: int) -> None:
        self.bytes_read += n

    def __iter__(self) -> Iterator[Row]:
        index = 0
        for number, text in enumerate(self.texts, start=1):
            if text == "-":
                for row in self._lines(_stdin(), STDIN, index):
                    index += 1
                    yield row
                continue
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                raise StanceError(f"argument {number}: not valid UTF-8") from None
            yield Row(index, text.strip() or None, "", number, "argument")
            index += 1
        if self.file is None:
            return
        read = {"txt": self._lines, "csv": self._csv, "jsonl": self._jsonl}[self.format]
        if self.file == "-":
            yield from read(_stdin(), STDIN, index)
            return
        with open(self.file, "rb") as stream:
            yield from read(stream, self.file, index)

    def _lines(self, stream, source: str, index: int) -> Iterator[Row]:
        for number, line in enumerate(iter_lines(stream, source, progress=self._count), start=1):
            yield Row(index, line.strip() or None, source, number, "line")
            index += 1

    def _csv(self, stream, source: str, index: int) -> Iterator[Row]:
        lines = iter_lines(stream, source, csv_line_ends=True, progress=self._count)
        header, records = read_csv_records(lines, source)
        if self.text_field not in header:
            raise StanceError(f"{source}: no {self.text_field!r} column (found: {', '.join(header)})")
        column = header.index(self.text_field)
        for number, row in records:
            yield Row(index, row[column].strip() or None, source, number, "row")
            index += 1

    def _jsonl(self, stream, source: str, index: int) -> Iterator[Row]:
        name = self.text_field
        for number, line in enumerate(iter_lines(stream, source, progress=self._count), start=1):
            text = None
            if line.strip():  # a blank line is an empty row, kept so rows stay aligned with lines
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as err:
                    raise StanceError(f"{source}, line {number}: not valid JSON ({err.msg})") from None
                if not isinstance(record, dict):
                    raise StanceError(
                        f"{source}, line {number}: expected a JSON object, found {type(record).__name__}"
                    )
                if name not in record:
                    found = ", ".join(list(record)[:10]) or "none"
                    raise StanceError(f"{source}, line {number}: no {name!r} field (found: {found}); see --text-field")
                value = record[name]
                if value is not None and not isinstance(value, str):
                    raise StanceError(f"{source}, line {number}: {name!r} is a {type(value).__name__}, not a string")
                text = (value or "").strip() or None
            yield Row(index, text, source, number, "line")
            index += 1


def _stdin():
    return sys.stdin.buffer


@dataclass
class Inputs:
    """Every input row in order; `texts` holds the non-empty ones, which get classified.

    Empty and whitespace-only rows stay in `rows` (as None) so output can stay aligned
    with the input, one output row per input row.
    """

    rows: list[str | None] = field(default_factory=list)
    positions: list[str] = field(default_factory=list)

    @property
    def texts(self) -> list[str]:
        return [row for row in self.rows if row is not None]

    @property
    def skipped_empty(self) -> list[str]:
        return [p for row, p in zip(self.rows, self.positions) if row is None]


def read_inputs(texts: Sequence[str], file: str | None) -> Inputs:
    """Collect texts: arguments (`-` reads stdin lines) and/or `--file`, as `RowReader` reads them.

    A `--file` ending in .csv needs a `text` column, .jsonl a `text` field; any other file is
    one text a line. Empty and whitespace-only texts are kept as None, never classified.
    """
    inputs = Inputs()
    for row in RowReader(texts, file):
        inputs.rows.append(row.text)
        inputs.positions.append(row.position)
    return inputs
