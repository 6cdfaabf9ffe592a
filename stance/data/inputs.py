"""Texts to classify, from arguments, a file or stdin, with their source positions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from stance.data.io import STDIN, parse_csv, read_stdin, read_text_file, split_lines
from stance.errors import StanceError


@dataclass
class Inputs:
    """Every input row in order; `texts` holds the non-empty ones, which get classified.

    Empty and whitespace-only rows stay in `rows` (as None) so output can stay aligned
    with the input, one output row per input row.
    """

    rows: list[str | None] = field(default_factory=list)
    positions: list[str] = field(default_factory=list)

    def add(self, text: str, position: str) -> None:
        self.rows.append(text.strip() or None)
        self.positions.append(position)

    @property
    def texts(self) -> list[str]:
        return [row for row in self.rows if row is not None]

    @property
    def skipped_empty(self) -> list[str]:
        return [p for row, p in zip(self.rows, self.positions) if row is None]


def _from_lines(inputs: Inputs, text: str, source: str) -> None:
    lines = split_lines(text)
    if lines and lines[-1] == "":
        lines.pop()  # the final newline ends the last line; it does not start an empty one
    for number, line in enumerate(lines, start=1):
        inputs.add(line, f"{source}:{number}")


def _from_csv(inputs: Inputs, text: str, source: str) -> None:
    header, rows = parse_csv(text, source)
    if "text" not in header:
        raise StanceError(f"{source}: no 'text' column (found: {', '.join(header)})")
    column = header.index("text")
    for number, row in enumerate(rows, start=2):
        inputs.add(row[column], f"{source}:row {number}")


def read_inputs(texts: Sequence[str], file: str | None) -> Inputs:
    """Collect texts: arguments (`-` reads stdin lines) and/or `--file`.

    A `--file` ending in .csv needs a `text` column; any other file is one text per line.
    Empty and whitespace-only texts are skipped and reported, never classified.
    """
    inputs = Inputs()
    for number, text in enumerate(texts, start=1):
        if text == "-":
            _from_lines(inputs, read_stdin(), STDIN)
        else:
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                raise StanceError(f"argument {number}: not valid UTF-8") from None
            inputs.add(text, f"argument {number}")
    if file is not None:
        content = read_stdin() if file == "-" else read_text_file(file)
        if Path(file).suffix.lower() == ".csv":
            _from_csv(inputs, content, file)
        else:
            _from_lines(inputs, content, file)
    return inputs
