"""Classify a corpus of any size, or one shard of it, and merge shard outputs.

`classify_corpus` is what `stance classify` and the scale-out jobs (scripts/classify_corpus.py)
run. The input is streamed in chunks of rows (`RowReader` reads it block by block), each chunk
classified and written before the next is read, so memory stays flat whatever the input size.
Sharding needs no coordination: row i belongs to shard i % N, so N jobs given only K and N
split any input into disjoint parts that together cover it, and every JSON object carries
`index`, the row's 0-based position in the input, for `merge_shards` to put them back in order.

Nothing here imports torch, datasets or Hydra: classifying with a TF-IDF model stays light.
"""

from __future__ import annotations

import heapq
import json
import re
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from stance.data.inputs import Row, RowReader
from stance.data.io import atomic_file, iter_lines
from stance.errors import StanceError

# Rows per chunk: large enough that per-call overhead vanishes (TF-IDF), small enough that a
# chunk's texts, probabilities and output lines are a few MB at most.
CHUNK = 1024
SHARD_FILE = re.compile(r"shard-(\d+)-of-(\d+)\.jsonl$")


@dataclass(frozen=True)
class Shard:
    """Part `k` of `n` (k from 0): the rows whose index is k modulo n."""

    k: int = 0
    n: int = 1

    def __post_init__(self) -> None:
        if self.n < 1 or not 0 <= self.k < self.n:
            raise StanceError(f"shard {self.k}/{self.n}: K must be between 0 and N-1 (shards count from 0)")

    @classmethod
    def parse(cls, value: str) -> Shard:
        match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", value)
        if not match:
            raise StanceError(f"--shard {value!r}: expected K/N, e.g. 0/4 for the first of four parts")
        return cls(int(match.group(1)), int(match.group(2)))

    def holds(self, index: int) -> bool:
        return index % self.n == self.k

    def file_name(self) -> str:
        """The shard's output file in a scale-out run; zero-padded so names sort in shard order."""
        return f"shard-{self.k:05d}-of-{self.n:05d}.jsonl"

    def __str__(self) -> str:
        return f"{self.k}/{self.n}"


@dataclass
class Summary:
    """What a classify run did: rows of the input read, rows of its shard written."""

    rows: int = 0
    empty_in_input: int = 0  # of all shards: an input without any text is an error
    written: int = 0
    classified: int = 0
    empty: int = 0
    empty_positions: list[str] = field(default_factory=list)  # the first few, for the message
    seconds: float = 0.0
    load_seconds: float = 0.0  # of `seconds`, loading the model
    output: str | None = None

    @property
    def rate(self) -> float:
        """Rows a second once the model is loaded: what more rows cost (the load is paid once)."""
        working = self.seconds - self.load_seconds
        return self.written / working if working > 0 else 0.0

    def timing(self) -> str:
        return f"{self.seconds:.1f} s ({self.rate:,.0f} rows/s after {self.load_seconds:.1f} s loading the model)"

    def empty_note(self) -> str | None:
        if not self.empty:
            return None
        shown = ", ".join(self.empty_positions) + (", ..." if self.empty > len(self.empty_positions) else "")
        return f"{self.empty} empty text(s) left unlabeled: {shown}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "written": self.written,
            "classified": self.classified,
            "empty": self.empty,
            "seconds": round(self.seconds, 3),
            "load_seconds": round(self.load_seconds, 3),
            "output": self.output,
        }


def classify_corpus(
    model_dir: str | Path,
    texts: Sequence[str] = (),
    file: str | None = None,
    *,
    output: str | Path | None = None,
    as_json: bool = False,
    shard: Shard | None = None,
    text_field: str | None = None,
    input_format: str | None = None,
    target: str | None = None,
    min_confidence: float = 0.0,
    explain: bool = False,
    progress: bool | None = None,
    chunk: int = CHUNK,
) -> Summary:
    """Classify every row of `texts` and `file` that falls in `shard`, one output row per input row.

    Output goes to `output`, written atomically (it appears only when complete; an error or a
    kill leaves no file, or the old one), else to stdout. Empty rows are written unlabeled, so
    output stays aligned with the input. A whole input with no text is an error, raised before
    anything is written. `progress` None shows a bar on stderr when it is a terminal.
    """
    from stance.model_folder import read_manifest
    from stance.predict import resolve_targets

    shard = shard or Shard()
    manifest = read_manifest(model_dir)  # a bad folder fails before the input is read
    if explain and manifest["kind"] != "tfidf":
        raise StanceError(
            f"--explain works for linear n-gram models (tfidf); {model_dir} is a {manifest['kind']} model"
        )
    resolve_targets(manifest, target, None, 0)  # a missing or unknown --target fails at once
    reader = RowReader(texts, file, text_field, input_format)
    if output is not None and file not in (None, "-") and Path(output).resolve() == Path(file).resolve():
        raise StanceError(f"--output {output} is the input file; write the labels to another file")
    if progress is None:
        progress = sys.stderr.isatty()
    summary = Summary(output=None if output is None else str(output))
    started = time.perf_counter()
    with atomic_file(output) if output is not None else nullcontext(sys.stdout) as stream:
        writer = _Writer(stream, as_json, explain)
        bar = _Bar(reader, shard) if progress else None
        model = None
        try:
            for rows in _chunks(reader, shard, chunk, summary):
                found = [row for row in rows if row.text is not None]
                predictions: list[Any] = []
                if found:
                    if model is None:
                        loading = time.perf_counter()
                        model = _load(model_dir)
                        summary.load_seconds = time.perf_counter() - loading
                    predictions = _classify(model, manifest, found, target, min_confidence, explain)
                writer.write(rows, iter(predictions), summary)
                if bar is not None:
                    bar.update(summary)
        finally:
            if bar is not None:
                bar.close(summary)
        if summary.rows == summary.empty_in_input:
            raise StanceError(f"classify: no non-empty text to classify ({summary.empty_in_input} empty skipped)")
        writer.finish()
    summary.seconds = time.perf_counter() - started
    return summary


def _load(model_dir: str | Path):
    from stance.models import load_model

    return load_model(model_dir)[0]


def _classify(model, manifest, rows: list[Row], target, min_confidence: float, explain: bool):
    from stance.predict import classify, resolve_targets

    texts = [row.text for row in rows]
    targets = resolve_targets(manifest, target, None, len(texts))
    return classify(model, texts, targets, min_confidence, explain, progress=False)


def _chunks(reader: Iterable[Row], shard: Shard, size: int, summary: Summary) -> Iterator[list[Row]]:
    """This shard's rows in chunks of `size`, counting the input's rows on the way.

    Until the input shows its first text, rows are held back: an input with no text at all is
    an error that must come before any output (the table header included).
    """
    any_text = False
    rows: list[Row] = []
    for row in reader:
        summary.rows += 1
        if row.text is None:
            summary.empty_in_input += 1
        else:
            any_text = True
        if not shard.holds(row.index):
            continue
        rows.append(row)
        if len(rows) >= size and any_text:
            yield rows
            rows = []
    if rows and any_text:
        yield rows


class _Writer:
    """Output rows as a table or JSON lines; empty rows unlabeled, in their place."""

    def __init__(self, stream: TextIO, as_json: bool, explain: bool):
        self.stream, self.as_json, self.explain = stream, as_json, explain
        self.started = False

    def _start(self) -> None:
        if not self.started and not self.as_json:
            self.stream.write(f"{'label':<12} {'score':>5}  text\n")
        self.started = True

    def finish(self) -> None:
        self._start()  # a shard with no rows still gets the table header
        self.stream.flush()

    def write(self, rows: list[Row], predictions: Iterator[Any], summary: Summary) -> None:
        self._start()
        lines = []
        for row in rows:
            summary.written += 1
            if row.text is None:
                summary.empty += 1
                if len(summary.empty_positions) < 3:
                    summary.empty_positions.append(row.position)
                lines.append(
                    json.dumps({"index": row.index, "text": "", "label": None, "scores": None, "skipped": "empty"})
                    if self.as_json
                    else f"{'-':<12} {'':>5}  (empty, not classified)"
                )
                continue
            p = next(predictions)
            summary.classified += 1
            if self.as_json:
                record = {"index": row.index, "text": p.text, "label": p.label, "scores": p.scores}
                if p.explanation is not None:
                    record["explanation"] = p.explanation
                lines.append(json.dumps(record, ensure_ascii=False))
                continue
            shown = " ".join(p.text.split())
            shown = shown if len(shown) <= 90 else shown[:87] + "..."
            lines.append(f"{p.label:<12} {p.confidence:>5.2f}  {shown}")
            if p.explanation:
                lines.append(" " * 20 + "because of: " + ", ".join(f"'{g}' {w:+.2f}" for g, w in p.explanation))
        self.stream.write("\n".join(lines) + "\n")


class _Bar:
    """A tqdm bar on stderr: bytes of the input file (so it has an end and an ETA), else rows."""

    def __init__(self, reader: RowReader, shard: Shard):
        from tqdm import tqdm

        self.reader = reader
        description = "classify" if shard.n == 1 else f"classify shard {shard}"
        if reader.total_bytes:
            self.bar = tqdm(
                total=reader.total_bytes, unit="B", unit_scale=True, desc=description, file=sys.stderr, leave=False
            )
        else:
            self.bar = tqdm(unit=" rows", desc=description, file=sys.stderr, leave=False)

    def update(self, summary: Summary, refresh: bool = False) -> None:
        # Bytes are counted per block read, at most one block (64 KiB) ahead of the rows written.
        if self.reader.total_bytes:
            self.bar.set_postfix_str(f"{summary.written:,} rows", refresh=False)
            self.bar.update(min(self.reader.bytes_read, self.reader.total_bytes) - self.bar.n)
        else:
            self.bar.update(summary.written - self.bar.n)
        if refresh:
            self.bar.refresh()

    def close(self, summary: Summary) -> None:
        self.update(summary, refresh=True)
        self.bar.close()


def merge_shards(paths: Sequence[str | Path], output: str | Path | None = None) -> int:
    """Merge JSON-lines shard outputs by `index` into one file (atomically), or stdout; rows merged.

    Each shard file is in index order, so a k-way merge streams them with flat memory, and
    each line is copied as it is: the merged file is byte for byte what one unsharded run
    writes. The indices must come out as 0, 1, 2, ... exactly once each, so a missing shard,
    a file given twice or shards of different splits are errors and no file is written. Files
    named shard-K-of-N.jsonl (as scale-out jobs write them) must also be all N of one split,
    which catches a missing last shard too.
    """
    if not paths:
        raise StanceError("merge: give the shard files to merge")
    _check_split([Path(p) for p in paths])
    if output is not None and any(Path(output).resolve() == Path(p).resolve() for p in paths):
        raise StanceError(f"--output {output} is one of the shard files; write the merge to another file")
    merged = heapq.merge(*(_indexed(Path(p)) for p in paths), key=lambda item: item[0])
    with atomic_file(output) if output is not None else nullcontext(sys.stdout) as stream:
        expected = 0
        for index, line, where in merged:
            if index != expected:
                if index < expected:
                    raise StanceError(f"{where}: row index {index} is also in another shard file (given twice?)")
                raise StanceError(
                    f"rows {expected} to {index - 1} are in none of the shard files (a shard missing?); "
                    f"the next row, {index}, is at {where}"
                )
            stream.write(line)
            expected += 1
        stream.flush()
    return expected


def _check_split(paths: list[Path]) -> None:
    named = [SHARD_FILE.search(p.name) for p in paths]
    if not all(named):
        return
    splits = {int(m.group(2)) for m in named}
    if len(splits) > 1:
        raise StanceError(f"merge: shard files of different splits (of {', '.join(map(str, sorted(splits)))})")
    n = splits.pop()
    missing = sorted(set(range(n)) - {int(m.group(1)) for m in named})
    if missing:
        shown = ", ".join(map(str, missing[:10])) + (", ..." if len(missing) > 10 else "")
        raise StanceError(f"merge: shard(s) {shown} of {n} missing (rerun them, then merge again)")


def _indexed(path: Path) -> Iterator[tuple[int, str, str]]:
    if not path.is_file():
        raise StanceError(f"{path}: no such file")
    previous = -1
    with open(path, "rb") as stream:
        for number, line in enumerate(iter_lines(stream, str(path)), start=1):
            where = f"{path}, line {number}"
            if not line.strip():
                continue
            try:
                index = json.loads(line).get("index")
            except (json.JSONDecodeError, AttributeError):
                raise StanceError(
                    f"{where}: not a JSON object (merge reads `stance classify --json` output)"
                ) from None
            if not isinstance(index, int) or isinstance(index, bool) or index < 0:
                raise StanceError(f"{where}: no row 'index' (merge reads `stance classify --json` output)")
            if index <= previous:
                raise StanceError(f"{where}: row index {index} after {previous}; a shard file is in index order")
            previous = index
            yield index, line if line.endswith("\n") else line + "\n", where
