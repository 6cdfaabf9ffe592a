"""Durable files of the labeling tool: LABELED.csv, a DATA.csv under review, the review log.

Nothing acknowledged may be lost to `kill -9`, a crash or a power cut, so every change is on
disk before the caller answers the browser:
- LABELED.csv and DATA.csv are rewritten atomically (a temporary file beside them, fsynced,
  renamed over the old one, the folder fsynced). A reader, or a restart, sees the old file or
  the new one, never half a row. A rewrite costs O(rows), but rows are encoded once, so it
  is a join and an fsync: 11 ms a label with 10,000 rows here. Undo (removing the last row)
  needs no second format.
- The review log is an append-only file of JSON lines, fsynced after each line; a line cut
  off by a crash was never acknowledged and is ignored on reading.
A lock file beside each file keeps a second `stance label` process from interleaving its
rewrites with ours (the kernel drops the lock when a process dies, even by `kill -9`).
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from stance.data.io import fsync_folder
from stance.data.io import write_bytes as atomic_write  # the project's one atomic writer
from stance.errors import StanceError


def csv_bytes(header: Sequence[str], rows: Sequence[Sequence[str]]) -> bytes:
    from stance.data.io import write_csv

    buffer = io.StringIO(newline="")
    write_csv(buffer, header, rows)
    return buffer.getvalue().encode("utf-8")


def csv_line(row: Sequence[str]) -> bytes:
    """One CSV record as `write_csv` writes it (\\n line ends, minimal quoting)."""
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\n").writerow(row)
    return buffer.getvalue().encode("utf-8")


class FileLock:
    """An exclusive advisory lock on `.NAME.lock` beside a file, held while the server runs."""

    def __init__(self, path: Path):
        self.path = Path(path).with_name(f".{Path(path).name}.lock")
        self._stream = None

    def acquire(self, what: str) -> None:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX: no second-process guard
            return
        stream = open(self.path, "a+")  # noqa: SIM115 - held open while the server runs
        try:
            fcntl.flock(stream.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            stream.seek(0)
            holder = stream.read().strip() or "?"
            stream.close()
            raise StanceError(
                f"{what} is open in another `stance label` (pid {holder}); stop that one first"
            ) from None
        stream.seek(0)
        stream.truncate()
        stream.write(str(os.getpid()))
        stream.flush()
        self._stream = stream

    def release(self) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None


def _check_writable(path: Path) -> None:
    if not path.parent.is_dir():
        raise StanceError(f"{path}: folder {path.parent} does not exist")
    if path.is_dir():
        raise StanceError(f"{path}: is a folder, expected a CSV file")
    if not os.access(path.parent, os.W_OK):
        raise StanceError(f"{path}: folder {path.parent} is not writable")


class LabeledFile:
    """LABELED.csv: the pool's columns plus `label`, one row per labeled sentence, in the
    order they were labeled (so undo removes the last row)."""

    def __init__(self, path: str | Path, pool_columns: Sequence[str], labels: Sequence[str]):
        self.path = Path(path)
        self.labels = list(labels)
        _check_writable(self.path)
        self.lock = FileLock(self.path)
        self.lock.acquire(str(self.path))
        try:
            if self.path.exists():
                self.header, self.rows = self._read(pool_columns)
            else:
                self.header, self.rows = self._fresh_header(pool_columns), []
                self._write([])  # created at once: the user sees where labels go
        except BaseException:
            self.lock.release()
            raise
        self._text = self.header.index("text")
        self._label = self.header.index("label")
        self.texts = {row[self._text].strip(): i for i, row in enumerate(self.rows)}
        # Each row encoded once: a rewrite is then a join and a write (10,000 rows: a few ms).
        self._lines = [csv_line(row) for row in self.rows]

    def _read(self, pool_columns: Sequence[str]) -> tuple[list[str], list[list[str]]]:
        from stance.data.io import FIRST_DATA_ROW, parse_csv, read_text_file

        source = str(self.path)
        content = read_text_file(self.path)
        if not content.strip():
            return self._fresh_header(pool_columns), []
        header, rows = parse_csv(content, source)
        missing = [c for c in ("text", "label") if c not in header]
        if missing:
            raise StanceError(
                f"{source}: missing column(s) {', '.join(missing)} (found: {', '.join(header)}); "
                f"is this a LABELED.csv? pass another --out"
            )
        lacking = [c for c in pool_columns if c not in header]
        if lacking:
            raise StanceError(
                f"{source}: lacks the pool's column(s) {', '.join(lacking)} "
                f"(found: {', '.join(header)}); pass another --out for this pool"
            )
        text, label = header.index("text"), header.index("label")
        for number, row in enumerate(rows, start=FIRST_DATA_ROW):
            if not row[text].strip():
                raise StanceError(f"{source}, row {number}: empty text")
            if row[label].strip() not in self.labels:
                shown = repr(row[label]) if row[label].strip() else "an empty label"
                raise StanceError(
                    f"{source}, row {number}: unknown label {shown} (expected one of: {', '.join(self.labels)})"
                )
        return header, rows

    def _fresh_header(self, pool_columns: Sequence[str]) -> list[str]:
        """The pool's columns with `label` right after `text` (id,text,label,... as in the seed data)."""
        columns = list(pool_columns)
        if "label" in columns:
            return columns
        position = columns.index("text") + 1 if "text" in columns else len(columns)
        return [*columns[:position], "label", *columns[position:]]

    def _write(self, lines: list[bytes] | None = None) -> None:
        atomic_write(self.path, csv_line(self.header) + b"".join(self._lines if lines is None else lines))

    def __len__(self) -> int:
        return len(self.rows)

    def __contains__(self, text: str) -> bool:
        return text in self.texts

    def counts(self) -> dict[str, int]:
        counted = Counter(row[self._label].strip() for row in self.rows)
        return {label: counted[label] for label in self.labels}

    def training_data(self) -> tuple[list[str], list[str]]:
        return [row[self._text].strip() for row in self.rows], [row[self._label].strip() for row in self.rows]

    def last(self) -> tuple[str, str] | None:
        """(text, label) of the last row, the one undo would remove."""
        if not self.rows:
            return None
        return self.rows[-1][self._text].strip(), self.rows[-1][self._label].strip()

    def add(self, record: dict[str, str], label: str) -> None:
        """Append one labeled row; returns once the file on disk holds it."""
        text = record["text"].strip()
        if text in self.texts:
            raise StanceError(f"{self.path}: already holds this sentence")
        if label not in self.labels:
            raise StanceError(f"unknown label {label!r} (expected one of: {', '.join(self.labels)})")
        row = [record.get(name, "") for name in self.header]
        row[self._text], row[self._label] = text, label
        line = csv_line(row)
        self._write([*self._lines, line])  # memory follows the file only once the file holds it
        self.rows.append(row)
        self._lines.append(line)
        self.texts[text] = len(self.rows) - 1

    def remove_last(self) -> tuple[str, str]:
        """Remove the last row (undo); returns its (text, label) once the file no longer holds it."""
        if not self.rows:
            raise StanceError("nothing to undo")
        self._write(self._lines[:-1])
        row = self.rows.pop()
        self._lines.pop()
        text = row[self._text].strip()
        self.texts.pop(text, None)
        return text, row[self._label].strip()

    def close(self) -> None:
        self.lock.release()


class ReviewedData:
    """A labeled DATA.csv under review, and the JSON-lines log of every review decision."""

    def __init__(self, path: str | Path, log: str | Path | None, key_column: str):
        self.path = Path(path)
        self.log_path = Path(log) if log else self.path.with_name(f"{self.path.stem}.review.jsonl")
        self.key_column = key_column
        _check_writable(self.path)
        _check_writable(self.log_path)
        self.lock = FileLock(self.path)
        self.lock.acquire(str(self.path))

    def current_label(self, key: str) -> str:
        header, rows, index = self._find(key)
        return rows[index][header.index("label")].strip()

    def _find(self, key: str) -> tuple[list[str], list[list[str]], int]:
        from stance.data.io import parse_csv, read_text_file

        header, rows = parse_csv(read_text_file(self.path), str(self.path))
        if self.key_column not in header or "label" not in header:
            raise StanceError(f"{self.path}: no {self.key_column!r} or 'label' column any more (was it replaced?)")
        column = header.index(self.key_column)
        matches = [i for i, row in enumerate(rows) if row[column].strip() == key]
        if len(matches) != 1:
            raise StanceError(
                f"{self.path}: the row with {self.key_column} {_short(key)!r} is "
                f"{'gone' if not matches else 'there more than once'} (was the file edited?)"
            )
        return header, rows, matches[0]

    def relabel(self, key: str, expected: str, label: str) -> None:
        """Set the row's label from `expected` to `label`, atomically; refuse if the file on disk
        no longer has `expected` there (someone else edited it)."""
        header, rows, index = self._find(key)
        column = header.index("label")
        found = rows[index][column].strip()
        if found != expected:
            raise StanceError(
                f"{self.path}: the row with {self.key_column} {_short(key)!r} now has label {found!r}, "
                f"not {expected!r} (edited elsewhere?); left as it is"
            )
        rows[index][column] = label
        atomic_write(self.path, csv_bytes(header, rows))

    def append_log(self, entry: dict[str, Any]) -> None:
        """One JSON line, on disk before this returns."""
        line = (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8")
        new = not self.log_path.exists()
        fd = os.open(self.log_path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":
                # A line cut off by a crash was never acknowledged: drop it, or it would
                # swallow this one.
                tail = os.pread(fd, min(size, 1 << 20), max(0, size - (1 << 20)))
                os.ftruncate(fd, size - len(tail) + tail.rfind(b"\n") + 1 if b"\n" in tail else 0)
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)
        if new:
            fsync_folder(self.log_path.parent)

    def read_log(self) -> list[dict[str, Any]]:
        """Decisions still in force, oldest first (an undo line cancels its decision)."""
        if not self.log_path.exists():
            return []
        from stance.data.io import read_text_file, split_lines

        lines = split_lines(read_text_file(self.log_path))
        stack: list[dict[str, Any]] = []
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
                if not isinstance(entry, dict) or "key" not in entry or "decision" not in entry:
                    raise ValueError("not a review entry")
            except ValueError:
                if number == len(lines):
                    continue  # no newline after it: cut off by a crash before it was acknowledged
                raise StanceError(f"{self.log_path}, line {number}: not a review log entry") from None
            if entry["decision"] == "undo":
                for i in range(len(stack) - 1, -1, -1):
                    if stack[i]["key"] == entry["key"]:
                        del stack[i]
                        break
            else:
                stack.append(entry)
        return stack

    def close(self) -> None:
        self.lock.release()


def _short(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."
