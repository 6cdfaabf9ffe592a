"""Turn new articles into a CSV ready to label, keeping labels already in the data set."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Sequence, TextIO

from stance.data import parse_csv, read_text_file, write_csv
from stance.errors import StanceError
from stance.sentences import split_article


def known_labels(data_path: Path | None) -> dict[str, str]:
    """text -> label of an existing labeled file (empty when no file is given)."""
    if data_path is None:
        return {}
    header, rows = parse_csv(read_text_file(data_path), str(data_path))
    if "text" not in header or "label" not in header:
        raise StanceError(f"{data_path}: needs 'text' and 'label' columns to carry labels over")
    text_column, label_column = header.index("text"), header.index("label")
    return {row[text_column].strip(): row[label_column].strip() for row in rows}


def extract(articles: Sequence[str | Path], data_path: Path | None, target: str, out: TextIO = sys.stdout) -> int:
    """Write id,text,label,target,article rows for every sentence; returns how many kept a label."""
    labels = known_labels(data_path)
    stems = [Path(a).stem for a in articles]
    repeated = sorted({s for s in stems if stems.count(s) > 1})
    if repeated:
        raise StanceError(f"two articles share the file name {repeated[0]!r}: ids and article names would collide")
    rows, kept = [], 0
    for article in articles:
        stem = Path(article).stem
        for number, sentence in enumerate(split_article(read_text_file(article)), start=1):
            label = labels.get(sentence, "")
            kept += bool(label)
            rows.append([f"{stem}-{number:03d}", sentence, label, target, stem])
    write_csv(out, ["id", "text", "label", "target", "article"], rows)
    return kept
