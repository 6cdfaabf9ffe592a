"""Numbers and tables as every report and command prints them."""

from __future__ import annotations

from typing import Sequence

from stance.evaluation.results import Evaluation


def fmt(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def fmt_interval(interval: Sequence[float] | None) -> str:
    return "n/a" if not interval else f"[{interval[0]:.3f}, {interval[1]:.3f}]"


def with_interval(evaluation: Evaluation, name: str) -> str:
    return f"{fmt(getattr(evaluation, name))} {fmt_interval(evaluation.interval(name))}"


def metrics_tables(evaluation: Evaluation) -> list[str]:
    """Markdown tables of one evaluation: per-class scores and the confusion matrix."""
    labels = evaluation.labels
    lines = ["| label | precision | recall | F1 | support |", "|---|---:|---:|---:|---:|"]
    for label in labels:
        s = evaluation.per_class[label]
        lines.append(f"| {label} | {fmt(s['precision'])} | {fmt(s['recall'])} | {fmt(s['f1'])} | {s['support']} |")
    lines += ["", "Confusion matrix (rows: true label, columns: predicted):", ""]
    lines.append("| true \\ predicted | " + " | ".join(labels) + " |")
    lines.append("|---|" + "---:|" * len(labels))
    for label, row in zip(labels, evaluation.confusion["matrix"]):
        lines.append(f"| {label} | " + " | ".join(str(x) for x in row) + " |")
    return lines
