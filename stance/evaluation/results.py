"""Typed results of an evaluation and of a training run; `to_dict` gives their JSON."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Evaluation:
    """Scores of predicted against gold labels; averages skip labels absent from both."""

    n: int
    macro_f1: float | None
    f_avg: float | None
    accuracy: float | None
    per_class: dict[str, dict[str, Any]]
    confusion: dict[str, Any]  # {"labels": [...], "matrix": rows = true, columns = predicted}
    # {"confidence", "n_resamples", "macro_f1": [low, high], "f_avg": [low, high]}; None: not computed
    intervals: dict[str, Any] | None = None
    # Expected calibration error, reliability bins and the --min-confidence trade-off.
    calibration: dict[str, Any] | None = None
    # How many of the scored sentences the model was trained on (None: unknown); not held-out.
    trained_on: int | None = None

    @property
    def labels(self) -> list[str]:
        return list(self.confusion["labels"])

    def interval(self, name: str) -> list[float] | None:
        return (self.intervals or {}).get(name)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Evaluation:
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})


@dataclass
class GroupScore:
    """Scores on one held-out group (an article, a target)."""

    group: str
    n: int
    macro_f1: float | None
    f_avg: float | None
    accuracy: float | None


@dataclass
class TrainingResult:
    """What a training run measured: held-out scores against the baseline, cost, and where it saved."""

    model: str
    data: dict[str, Any]  # name, path, target, stance_labels, fingerprint, sources
    protocol: str
    protocol_short: str
    scores: Evaluation
    baseline: Evaluation
    per_group: list[GroupScore] = field(default_factory=list)
    val: Evaluation | None = None  # official splits: the validation split, for choices
    search: dict[str, Any] | None = None  # data.search: candidates, their val F_avg, and the choice
    timing: dict[str, float] = field(default_factory=dict)
    top_features: dict[str, list[Any]] | None = None
    size_bytes: int | None = None
    output_dir: str | None = None
    overrides: list[str] = field(default_factory=list)  # the command-line overrides of a sweep job

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainingResult:
        values = dict(values)
        for key in ("scores", "baseline", "val"):
            if values.get(key) is not None:
                values[key] = Evaluation.from_dict(values[key])
        values["per_group"] = [GroupScore(**g) for g in values.get("per_group", [])]
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})

    def headline(self) -> str:
        """One line: the model's scores with intervals, the protocol, and the baseline."""
        from stance.reports.format import fmt, fmt_interval

        s = self.scores
        return (
            f"{self.model}: macro-F1 {fmt(s.macro_f1)} {fmt_interval(s.interval('macro_f1'))}, "
            f"F_avg {fmt(s.f_avg)} {fmt_interval(s.interval('f_avg'))} ({self.protocol_short}); "
            f"majority baseline macro-F1 {fmt(self.baseline.macro_f1)}"
        )
