"""The pool of sentences to label: what `classify` reads, with every other column kept.

Rows are keyed by their stripped text: a sentence is labeled once, whichever row it came
from, because the guide judges a sentence on its own (and the seed data forbids duplicate
texts). Neighbouring sentences come from the file itself, so they survive de-duplication.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from stance.errors import StanceError

ARTICLE = "article"
ORDER = "order"


@dataclass
class Pool:
    """Distinct non-empty sentences of a pool file, in file order."""

    path: str
    columns: list[str]
    rows: list[dict[str, str]]
    # For each row: (article, position within the article's sentences), or None.
    places: list[tuple[str, int] | None] = field(default_factory=list)
    articles: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def texts(self) -> list[str]:
        return [row["text"] for row in self.rows]

    def neighbours(self, index: int, before: int = 2, after: int = 2) -> tuple[list[str], list[str]]:
        """The sentences around row `index` in its article (empty without an article column)."""
        place = self.places[index] if self.places else None
        if place is None:
            return [], []
        sentences = self.articles[place[0]]
        position = place[1]
        return sentences[max(0, position - before) : position], sentences[position + 1 : position + 1 + after]


def read_pool(path: str, article: str = ARTICLE, labels: Sequence[str] = ()) -> Pool:
    """Read a pool as `classify` does: a CSV with a `text` column (other columns kept), else one
    sentence a line. Empty and repeated texts are left out, with a note, and so are rows whose
    `label` cell already holds one of `labels` (e.g. sentences that extract_sentences.py found
    in the data set). Rows of the same `article` give each other's neighbouring sentences."""
    if path == "-":
        raise StanceError("label: the pool must be a file (standard input cannot be resumed)")
    source = Path(path)
    if source.suffix.lower() == ".csv":
        columns, records = _read_csv(source)
    else:
        from stance.data.inputs import read_inputs

        inputs = read_inputs([], str(source))
        columns, records = ["text"], [{"text": text or ""} for text in inputs.rows]
    pool = Pool(path=str(source), columns=columns, rows=[])
    places = _add_context(pool, records, article)
    seen: set[str] = set()
    empty = repeated = labeled = 0
    for position, record in enumerate(records):
        if not record["text"]:
            empty += 1
            continue
        if record.get("label", "").strip() in labels:
            labeled += 1
            continue
        if record["text"] in seen:
            repeated += 1
            continue
        seen.add(record["text"])
        pool.rows.append(record)
        pool.places.append(places[position])
    if empty:
        pool.notes.append(f"{empty} empty text(s) left out")
    if repeated:
        pool.notes.append(f"{repeated} repeated text(s) shown once")
    if labeled:
        pool.notes.append(f"{labeled} row(s) already labeled in the pool left out")
    if not pool.rows:
        raise StanceError(f"{source}: no {'unlabeled' if labeled else 'non-empty'} text to label")
    return pool


def _read_csv(source: Path) -> tuple[list[str], list[dict[str, str]]]:
    from stance.data.io import parse_csv, read_text_file

    header, rows = parse_csv(read_text_file(source), str(source))
    if "text" not in header:
        raise StanceError(f"{source}: no 'text' column (found: {', '.join(header)})")
    named = [(i, name) for i, name in enumerate(header) if name]
    if len(named) < len(header):
        print(f"{source}: {len(header) - len(named)} unnamed column(s) left out", file=sys.stderr)
    records = []
    for row in rows:
        record = {name: row[i] for i, name in named}
        record["text"] = record["text"].strip()
        records.append(record)
    return [name for _, name in named], records


def _add_context(pool: Pool, records: list[dict[str, str]], article: str) -> list[tuple[str, int] | None]:
    """Group the file's sentences by article, ordered by an `order` column when it is numeric
    (else file order); returns each record's place for `Pool.neighbours`."""
    places: list[tuple[str, int] | None] = [None] * len(records)
    if article not in pool.columns:
        return places
    groups: dict[str, list[tuple[float, int]]] = {}
    numeric = ORDER in pool.columns
    for i, record in enumerate(records):
        if not record["text"] or not record[article].strip():
            continue
        key = float(i)
        if numeric:
            try:
                key = float(record[ORDER])
            except ValueError:
                numeric = False
                pool.notes.append(f"column {ORDER!r} is not numeric: neighbours follow file order")
        groups.setdefault(record[article].strip(), []).append((key, i))
    for name, members in groups.items():
        members.sort(key=(lambda m: m) if numeric else (lambda m: m[1]))
        pool.articles[name] = [records[i]["text"] for _, i in members]
        for position, (_, i) in enumerate(members):
            places[i] = (name, position)
    return places
