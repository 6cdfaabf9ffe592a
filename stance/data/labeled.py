"""Labeled sentence files: read, validate every row, and report problems by row number."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from stance.data.io import FIRST_DATA_ROW, fingerprint_bytes, parse_csv, read_text_file
from stance.errors import StanceError


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
        raise StanceError(f"{source}: missing column(s) {', '.join(missing)} (found: {', '.join(header)})")
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
                f"{source}, row {row_number}: unknown label {shown} (expected one of: {', '.join(labels)})"
            )
        if unique_texts:
            if text_value in seen_texts:
                raise StanceError(f"{source}, row {row_number}: duplicate text (same as row {seen_texts[text_value]})")
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


def label_counts(data: LabeledData, column: str | None, labels: Sequence[str]) -> dict[str, dict[str, int]]:
    """Label counts per value of `column` (in first-seen order), plus a `total` row."""
    from stance.errors import StanceError

    if column is not None and column not in data.columns:
        raise StanceError(f"{data.path}: no column {column!r} to count by (found: {', '.join(data.columns)})")
    values = data.columns[column] if column else ["all"] * len(data)
    counts: dict[str, dict[str, int]] = {}
    for value, label in zip(values, data.labels):
        counts.setdefault(value, dict.fromkeys(labels, 0))[label] += 1
    counts["total"] = {x: sum(row[x] for row in list(counts.values())) for x in labels}
    return counts
