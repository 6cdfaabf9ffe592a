"""What to show next, and what each key does: the server-side state of a labeling session.

The server owns the queue, so every tab shows the same sentence and a restart resumes from
the files alone. Each action names the sentence the page showed (`id`) and the server run
it came from (`run`); an action on a stale view (another tab acted first, the server was
restarted) is refused with `Conflict` and the page gets the current state instead, so two
tabs never label the same sentence twice or undo each other's work. One lock serialises
the actions; files are written under it, before the answer goes out.
"""

from __future__ import annotations

import secrets
import sys
import threading
import time
from collections import deque
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np

from stance.errors import StanceError
from stance.label.guide import Guide
from stance.label.pool import Pool
from stance.label.store import LabeledFile, ReviewedData

# Labels-per-minute is the pace over the last this-many decisions of the session.
PACE_WINDOW = 20
# Sentences ordered by `select` (diversity) at each ranking; the rest follow by uncertainty.
DIVERSE_HEAD = 100
CHUNK = 256


class Conflict(Exception):
    """An action on a view that is no longer current; the page is sent the current state."""


class BadRequest(Exception):
    """An action the page should never send (an unknown label, a malformed id)."""


def rank(probabilities: np.ndarray, texts: Sequence[str], diversity: float, head: int = DIVERSE_HEAD) -> list[int]:
    """Indices in the order `stance suggest` would pick them (uncertainty with a diversity
    penalty) for the first `head`, then the rest by uncertainty alone: only the next few
    dozen matter before the next retrain re-ranks, and `select` is quadratic in its pool."""
    from stance.suggest import entropy, select

    if len(texts) == 0:
        return []
    try:
        first = select(probabilities, texts, min(head, len(texts)), diversity=diversity)
    except ValueError:  # no word of two letters in any candidate: diversity is undefined
        first = []
    chosen = set(first)
    rest = [int(i) for i in np.argsort(-entropy(probabilities), kind="stable") if int(i) not in chosen]
    return [*first, *rest]


def predict(model: Any, texts: Sequence[str]) -> np.ndarray:
    parts = [model.predict_proba(list(texts[i : i + CHUNK])) for i in range(0, len(texts), CHUNK)]
    return np.vstack(parts) if parts else np.zeros((0, len(model.labels)))


class _Session:
    """Queue mechanics shared by labeling and review: head, skip, stale-view checks, pace."""

    mode = ""

    def __init__(self, labels: Sequence[str], guide: Guide | None):
        self.labels = list(labels)
        self.guide = guide or Guide()
        self.run = secrets.token_hex(4)
        self.lock = threading.RLock()
        self.queue: list[int] = []
        self.skipped: list[int] = []
        self.times: deque[float] = deque(maxlen=PACE_WINDOW + 1)
        self.session_count = 0

    # -- queue ------------------------------------------------------------------------
    def head(self) -> int | None:
        if not self.queue and self.skipped:
            self.queue, self.skipped = self.skipped, []  # skipped sentences come back last
        return self.queue[0] if self.queue else None

    def _check(self, run: Any, item: Any) -> int:
        """The id of the current sentence, if the page acted on it; else Conflict."""
        if run != self.run:
            raise Conflict("the server was restarted: here is where it stands now")
        if not isinstance(item, int) or isinstance(item, bool):
            raise BadRequest("'id' must be an integer")
        current = self.head()
        if current is None:
            raise Conflict("nothing left to do")
        if item != current:
            raise Conflict("that sentence was already done in another tab: here is the current one")
        return current

    def _label_name(self, label: Any) -> str:
        if label not in self.labels:
            raise BadRequest(f"unknown label {label!r} (expected one of: {', '.join(self.labels)})")
        return label

    def skip(self, item: Any, run: Any) -> dict[str, Any]:
        """Put the sentence at the end of the queue (for this run; a restart shows it again
        in its place, since nothing about it was written)."""
        with self.lock:
            current = self._check(run, item)
            self.queue.pop(0)
            self.skipped.append(current)
            return self.state(message="skipped: it comes back after the others")

    def _done(self, item: int) -> None:
        self.queue.remove(item)
        self.times.append(time.monotonic())
        self.session_count += 1

    def _undone(self, item: int) -> None:
        if item in self.skipped:
            self.skipped.remove(item)
        if item in self.queue:
            self.queue.remove(item)
        self.queue.insert(0, item)
        if self.times:
            self.times.pop()
        self.session_count = max(0, self.session_count - 1)

    def pace(self) -> float | None:
        """Labels per minute over the last PACE_WINDOW decisions of this session."""
        if len(self.times) < 2:
            return None
        span = self.times[-1] - self.times[0]
        return round(60 * (len(self.times) - 1) / span, 1) if span > 0 else None

    def _labels_state(self) -> list[dict[str, str]]:
        definitions = self.guide.definitions
        return [
            {"name": name, "key": str(number) if number < 10 else "", "definition": definitions.get(name, "")}
            for number, name in enumerate(self.labels, start=1)
        ]

    def state(self, message: str | None = None) -> dict[str, Any]:
        raise NotImplementedError


class LabelSession(_Session):
    """Label a pool into LABELED.csv, most informative sentence first when a model ranks them."""

    mode = "label"

    def __init__(
        self,
        pool: Pool,
        store: LabeledFile,
        labels: Sequence[str],
        guide: Guide | None = None,
        model: Any = None,
        model_name: str | None = None,
        base: tuple[list[str], list[str]] | None = None,
        retrain_every: int = 25,
        diversity: float = 0.5,
    ):
        super().__init__(labels, guide)
        self.pool, self.store = pool, store
        self.base = base or ([], [])
        self.retrain_every, self.diversity = retrain_every, diversity
        self.index = {text: i for i, text in enumerate(pool.texts)}
        self.queue = [i for i, text in enumerate(pool.texts) if text not in store]
        self.guesses: dict[int, np.ndarray] = {}
        self.model_name = model_name
        self.model_error: str | None = None
        self.training = False
        self.trained_at = len(store)
        self.retrains = 0
        self._thread: threading.Thread | None = None
        if model is not None and self.queue:
            order, guesses = self._rank(model, list(self.queue))
            self._apply(order, guesses, keep_head=False)

    # -- ranking ----------------------------------------------------------------------
    def _rank(self, model: Any, items: list[int]) -> tuple[list[int], dict[int, np.ndarray]]:
        every = self.pool.texts
        texts = [every[i] for i in items]
        probabilities = predict(model, texts)
        order = [items[j] for j in rank(probabilities, texts, self.diversity)]
        return order, dict(zip(items, probabilities))

    def _apply(self, order: list[int], guesses: dict[int, np.ndarray], keep_head: bool) -> None:
        """Re-order the queue; the sentence on screen stays, so no tab sees it change."""
        with self.lock:
            self.guesses = guesses
            current = self.head() if keep_head else None
            waiting = set(self.queue)
            ranked = [i for i in order if i in waiting and i != current]
            placed = set(ranked)
            rest = [i for i in self.queue if i not in placed and i != current]
            self.queue = ([current] if current is not None else []) + ranked + rest

    def training_data(self) -> tuple[list[str], list[str]]:
        """The labels so far: LABELED.csv, plus the given model's training data (minus the
        sentences LABELED.csv relabels), so the retrained model starts no weaker than it."""
        texts, labels = self.store.training_data()
        relabeled = set(texts)
        base = [(t, y) for t, y in zip(*self.base) if t not in relabeled]
        return [t for t, _ in base] + texts, [y for _, y in base] + labels

    def _maybe_retrain(self) -> None:
        if self.retrain_every <= 0 or self.training or len(self.store) - self.trained_at < self.retrain_every:
            return
        texts, labels = self.training_data()
        if len(set(labels)) < 2:
            return
        self.training = True
        self.trained_at = len(self.store)
        self._thread = threading.Thread(
            target=self._retrain,
            args=(texts, labels, self.queue + self.skipped),
            name="stance-label-retrain",
            daemon=True,
        )
        self._thread.start()

    def _retrain(self, texts: list[str], labels: list[str], items: list[int]) -> None:
        """Fit a TF-IDF model on the labels so far and re-rank the queue (in a thread: the
        annotator keeps labeling meanwhile)."""
        from stance.config import TfidfConfig
        from stance.models import create_model

        try:
            model = create_model(TfidfConfig(), self.labels, seed=0).fit(texts, labels)
            order, guesses = self._rank(model, items)
            with self.lock:
                self._apply(order, guesses, keep_head=True)
                self.model_name = f"TF-IDF retrained on {len(texts)} labels"
                self.model_error = None
                self.retrains += 1
        except Exception as err:
            with self.lock:
                self.model_error = f"{type(err).__name__}: {err}"
            print(f"label: retraining failed ({self.model_error}); the queue keeps its order", file=sys.stderr)
        finally:
            with self.lock:
                self.training = False

    def wait_for_retrain(self, timeout: float = 60) -> None:
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    # -- actions ----------------------------------------------------------------------
    def label(self, item: Any, label: Any, run: Any) -> dict[str, Any]:
        """Write the label to LABELED.csv (on disk when this returns), then move on."""
        with self.lock:
            current = self._check(run, item)
            name = self._label_name(label)
            self.store.add(self.pool.rows[current], name)
            self._done(current)
            self._maybe_retrain()
            return self.state(message=f"saved: {name}")

    def undo(self, item: Any, run: Any) -> dict[str, Any]:
        """Remove the last row of LABELED.csv and show its sentence again."""
        with self.lock:
            if run != self.run:
                raise Conflict("the server was restarted: here is where it stands now")
            last = self._last()
            if last is None:
                raise Conflict("nothing to undo")
            if item != last:
                raise Conflict("the last label changed in another tab: here is where it stands now")
            _, label = self.store.remove_last()
            self._undone(last)
            return self.state(message=f"undone: {label!r} removed from {self.store.path.name}")

    def _last(self) -> int | None:
        """The pool sentence of LABELED.csv's last row (rows from elsewhere are not undone here)."""
        last = self.store.last()
        return None if last is None else self.index.get(last[0])

    # -- the page's view --------------------------------------------------------------
    def state(self, message: str | None = None) -> dict[str, Any]:
        with self.lock:
            current = self.head()
            last = self._last()
            last_row = self.store.last()
            remaining = len(self.queue) + len(self.skipped)
            next_retrain = None
            if self.retrain_every > 0:
                next_retrain = max(0, self.retrain_every - (len(self.store) - self.trained_at))
            return {
                "mode": self.mode,
                "run": self.run,
                "message": message,
                "labels": self._labels_state(),
                "guide": self.guide.text,
                "lead": self.guide.lead,
                "item": None if current is None else self._item(current),
                "undo": None if last is None else {"id": last, "text": last_row[0], "label": last_row[1]},
                "progress": {
                    "done": len(self.pool) - remaining,
                    "remaining": remaining,
                    "skipped": len(self.skipped),
                    "counts": self.store.counts(),
                    "rows": len(self.store),
                    "per_minute": self.pace(),
                    "session": self.session_count,
                },
                "model": {
                    "name": self.model_name,
                    "training": self.training,
                    "retrains": self.retrains,
                    "next_retrain": next_retrain,
                    "error": self.model_error,
                },
                "files": {"out": str(self.store.path), "pool": self.pool.path},
            }

    def _item(self, index: int) -> dict[str, Any]:
        row = self.pool.rows[index]
        before, after = self.pool.neighbours(index)
        meta = [
            [name, _cut(row[name])] for name in self.pool.columns if name not in ("text", "label") and row.get(name)
        ]
        guess = None
        if index in self.guesses:
            probabilities = self.guesses[index]
            best = int(np.argmax(probabilities))
            guess = {
                "label": self.labels[best],
                "p": round(float(probabilities[best]), 3),
                "scores": {name: round(float(p), 3) for name, p in zip(self.labels, probabilities)},
            }
        return {"id": index, "text": row["text"], "before": before, "after": after, "meta": meta, "guess": guess}


class ReviewSession(_Session):
    """Review `audit`'s suspicious labels of DATA.csv: keep or change each, logged."""

    mode = "review"

    def __init__(
        self,
        data: ReviewedData,
        flagged: list[dict[str, Any]],
        labels: Sequence[str],
        guide: Guide | None = None,
        context: Pool | None = None,
        audit_name: str = "",
        group_column: str = "article",
    ):
        super().__init__(labels, guide)
        self.data, self.context, self.audit_name, self.group_column = data, context, audit_name, group_column
        self.decisions = data.read_log()
        self.context_index = {text: i for i, text in enumerate(context.texts)} if context is not None else {}
        self.items: list[dict[str, Any]] = []
        self.by_key: dict[str, int] = {}
        reviewed = {entry["key"] for entry in self.decisions}
        for row in flagged:
            key = str(row["id"] if data.key_column == "id" else row["text"])
            self._add_item({**row, "key": key})
            if key not in reviewed:
                self.queue.append(self.by_key[key])
        for entry in self.decisions:  # decisions of earlier runs stay undoable
            if entry["key"] not in self.by_key:
                self._add_item(entry)

    def _add_item(self, row: dict[str, Any]) -> None:
        fields = ("key", "id", "text", "group", "given", "suggested", "p_given", "p_suggested")
        self.by_key[row["key"]] = len(self.items)
        self.items.append({name: row.get(name) for name in fields})

    def review(self, item: Any, label: Any, run: Any) -> dict[str, Any]:
        """Keep the given label (the same key) or change it: DATA.csv is rewritten atomically
        for a change, and a line goes to the review log, both on disk when this returns."""
        with self.lock:
            current = self._check(run, item)
            name = self._label_name(label)
            entry = self.items[current]
            decision = "keep" if name == entry["given"] else "change"
            try:
                if decision == "change":
                    self.data.relabel(entry["key"], entry["given"], name)
                elif self.data.current_label(entry["key"]) != entry["given"]:
                    raise StanceError(f"{self.data.path}: this row's label was changed elsewhere; left as it is")
            except StanceError as err:
                raise Conflict(str(err)) from None
            record = {
                "time": _now(),
                "data": str(self.data.path),
                "decision": decision,
                "label": name,
                **{k: entry[k] for k in ("key", "id", "text", "given", "suggested", "p_given", "p_suggested")},
            }
            self.data.append_log(record)
            self.decisions.append(record)
            self._done(current)
            return self.state(message=f"{'kept' if decision == 'keep' else 'changed to'} {name!r}")

    label = review  # the page's number keys do the same in both modes

    def undo(self, item: Any, run: Any) -> dict[str, Any]:
        """Revert the last decision: the old label back into DATA.csv, an undo line in the log."""
        with self.lock:
            if run != self.run:
                raise Conflict("the server was restarted: here is where it stands now")
            if not self.decisions:
                raise Conflict("nothing to undo")
            last = self.decisions[-1]
            index = self.by_key[last["key"]]
            if item != index:
                raise Conflict("the last decision changed in another tab: here is where it stands now")
            try:
                if last["decision"] == "change":
                    self.data.relabel(last["key"], last["label"], last["given"])
            except StanceError as err:
                raise Conflict(str(err)) from None
            self.data.append_log(
                {
                    "time": _now(),
                    "data": str(self.data.path),
                    "decision": "undo",
                    "key": last["key"],
                    "label": last["given"],
                    "undoes": last["decision"],
                }
            )
            self.decisions.pop()
            self._undone(index)
            return self.state(message=f"undone: the label is {last['given']!r} again")

    def state(self, message: str | None = None) -> dict[str, Any]:
        with self.lock:
            current = self.head()
            last = self.decisions[-1] if self.decisions else None
            changed = sum(1 for d in self.decisions if d["decision"] == "change")
            return {
                "mode": self.mode,
                "run": self.run,
                "message": message,
                "labels": self._labels_state(),
                "guide": self.guide.text,
                "lead": self.guide.lead,
                "item": None if current is None else self._item(current),
                "undo": None
                if last is None
                else {
                    "id": self.by_key[last["key"]],
                    "text": last["text"],
                    "label": last["label"],
                    "decision": last["decision"],
                },
                "progress": {
                    "done": len(self.decisions),
                    "remaining": len(self.queue) + len(self.skipped),
                    "skipped": len(self.skipped),
                    "counts": {"kept": len(self.decisions) - changed, "changed": changed},
                    "per_minute": self.pace(),
                    "session": self.session_count,
                },
                "model": {
                    "name": self.audit_name,
                    "training": False,
                    "retrains": 0,
                    "next_retrain": None,
                    "error": None,
                },
                "files": {"data": str(self.data.path), "log": str(self.data.log_path)},
            }

    def _item(self, index: int) -> dict[str, Any]:
        entry = self.items[index]
        before, after = [], []
        if self.context is not None and entry["text"] in self.context_index:
            before, after = self.context.neighbours(self.context_index[entry["text"]])
        names = (("id" if self.data.key_column == "id" else "row", "id"), (self.group_column, "group"))
        meta = [[name, _cut(str(entry[key]))] for name, key in names if entry.get(key)]
        return {
            "id": index,
            "text": entry["text"],
            "before": before,
            "after": after,
            "meta": meta,
            "given": entry["given"],
            "suggested": entry["suggested"],
            "p_given": entry["p_given"],
            "p_suggested": entry["p_suggested"],
        }


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _cut(value: str, width: int = 200) -> str:
    return value if len(value) <= width else value[: width - 1] + "…"
