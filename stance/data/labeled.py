"""Read and validate labeled sentence files.

Validation is plain Python (the csv module) so that `stance evaluate` and `stance classify`
stay light; `load_dataset` wraps the validated rows in a Hugging Face `datasets.Dataset`.
"""

from __future__ import annotations

import csv
import hashlib
import sys
import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence

from stance.errors import StanceError

if TYPE_CHECKING:  # pragma: no cover
    import datasets

SEED_COLUMNS = ("id", "text", "label", "target", "article")
# Long texts (a 1 MB line) are data, not a malformed file.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
# Spreadsheet convention: the header is row 1, the first data row is row 2.
FIRST_DATA_ROW = 2


@dataclass(frozen=True)
class LabeledData:
    """Validated labeled sentences, column-wise."""

    path: str
    texts: list[str]
    labels: list[str]
    columns: dict[str, list[str]]
    fingerprint: str

    def __len__(self) -> int:
        return len(self.texts)


def read_text_file(path: str | Path) -> str:
    """Read a UTF-8 text file (BOM tolerated) or fail with one clear line."""
    path = Path(path)
    if not path.exists():
        raise StanceError(f"{path}: no such file")
    if path.is_dir():
        raise StanceError(f"{path}: is a folder, expected a file")
    raw = path.read_bytes()
    return decode_text(raw, str(path))


def decode_text(raw: bytes, source: str) -> str:
    """Decode UTF-8 bytes, rejecting binary content with a message naming the source."""
    if b"\x00" in raw:
        raise StanceError(f"{source}: contains NUL bytes; this looks like a binary file, not text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise StanceError(f"{source}, line {line}: not valid UTF-8 ({err.reason})") from None
    return text


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


def load_labeled(
    path: str | Path,
    labels: Sequence[str],
    required: Iterable[str] = ("text", "label"),
    unique_ids: bool = False,
    unique_texts: bool = True,
) -> LabeledData:
    """Read a labeled CSV and validate it.

    Every problem is one `StanceError` naming the file, the row and what is wrong: a missing
    column, an empty text, an unknown label, a duplicate text or id.
    """
    path = Path(path)
    text = read_text_file(path)
    raw = path.read_bytes()
    source = str(path)
    header, rows = parse_csv(text, source)
    required = list(dict.fromkeys(["text", "label", *required]))
    missing = [c for c in required if c not in header]
    if missing:
        raise StanceError(
            f"{source}: missing column(s) {', '.join(missing)} (found: {', '.join(header)})"
        )
    if not rows:
        raise StanceError(f"{source}: no data rows")
    index = {name: header.index(name) for name in header if name}
    # Cells are stripped: " a" and "a" must not become two articles (two CV groups).
    columns = {name: [row[i].strip() for row in rows] for name, i in index.items()}
    known = set(labels)
    seen_texts: dict[str, int] = {}
    seen_ids: dict[str, int] = {}
    for offset, row in enumerate(rows):
        row_number = offset + FIRST_DATA_ROW
        text_value = row[index["text"]].strip()
        label = row[index["label"]].strip()
        if not text_value:
            raise StanceError(f"{source}, row {row_number}: empty text")
        if label not in known:
            shown = f"{label!r}" if label else "an empty label"
            raise StanceError(
                f"{source}, row {row_number}: unknown label {shown} "
                f"(expected one of: {', '.join(labels)})"
            )
        if unique_texts:
            if text_value in seen_texts:
                raise StanceError(
                    f"{source}, row {row_number}: duplicate text (same as row {seen_texts[text_value]})"
                )
            seen_texts[text_value] = row_number
        if unique_ids and "id" in index:
            row_id = row[index["id"]].strip()
            if not row_id:
                raise StanceError(f"{source}, row {row_number}: empty id")
            if row_id in seen_ids:
                raise StanceError(
                    f"{source}, row {row_number}: duplicate id {row_id!r} (same as row {seen_ids[row_id]})"
                )
            seen_ids[row_id] = row_number
        for name in required:
            if name not in ("text", "label") and not row[index[name]].strip():
                raise StanceError(f"{source}, row {row_number}: empty {name!r}")
    return LabeledData(
        path=source,
        texts=columns["text"],
        labels=columns["label"],
        columns=columns,
        fingerprint=fingerprint_bytes(raw),
    )


def to_dataset(data: LabeledData) -> "datasets.Dataset":
    """The validated rows as a Hugging Face `datasets.Dataset` (text and label stripped)."""
    import datasets

    return datasets.Dataset.from_dict(dict(data.columns))


def write_csv(path_or_stream, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """Write rows as CSV with \\n line ends to a path or an open text stream."""
    if hasattr(path_or_stream, "write"):
        writer = csv.writer(path_or_stream, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
        return
    with open(path_or_stream, "w", newline="", encoding="utf-8") as stream:
        write_csv(stream, header, rows)


def load_dataset(
    path: str | Path, labels: Sequence[str], required: Iterable[str] = SEED_COLUMNS
) -> "datasets.Dataset":
    """Load and validate a labeled CSV (ids unique, texts unique) as a `datasets.Dataset`."""
    data = load_labeled(path, labels, required=required, unique_ids=True)
    dataset = to_dataset(data)
    dataset.info.description = data.fingerprint
    return dataset
