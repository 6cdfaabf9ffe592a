"""Evaluation reports written next to a model: metrics.json, report.md, a PNG, errors.csv."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from stance.data import write_csv
from stance.manifest import CONFUSION_PNG, ERRORS_CSV, METRICS, RELIABILITY_PNG, REPORT


def fmt(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def fmt_interval(interval: Sequence[float] | None) -> str:
    return "n/a" if not interval else f"[{interval[0]:.3f}, {interval[1]:.3f}]"


def _with_interval(metrics: dict[str, Any], name: str) -> str:
    return f"{fmt(metrics.get(name))} {fmt_interval(metrics.get('intervals', {}).get(name))}"


def metrics_tables(metrics: dict[str, Any]) -> list[str]:
    """Markdown tables of one evaluation: per-class scores and the confusion matrix."""
    labels = metrics["confusion"]["labels"]
    lines = ["| label | precision | recall | F1 | support |", "|---|---:|---:|---:|---:|"]
    for label in labels:
        s = metrics["per_class"][label]
        lines.append(f"| {label} | {fmt(s['precision'])} | {fmt(s['recall'])} | {fmt(s['f1'])} | {s['support']} |")
    lines += ["", "Confusion matrix (rows: true label, columns: predicted):", ""]
    lines.append("| true \\ predicted | " + " | ".join(labels) + " |")
    lines.append("|---|" + "---:|" * len(labels))
    for label, row in zip(labels, metrics["confusion"]["matrix"]):
        lines.append(f"| {label} | " + " | ".join(str(x) for x in row) + " |")
    return lines


def render_report(result: dict[str, Any]) -> str:
    """The readable report: headline with intervals against the baseline, then details."""
    baseline = result["baseline"]
    confidence = int(round(result["intervals"]["confidence"] * 100))
    lines = [
        f"# Evaluation report: {result['model']}",
        "",
        f"Data: `{result['data']['path']}` ({result['n']} sentences, target `{result['data']['target']}`).",
        f"Protocol: {result['protocol']}.",
        f"Intervals: {confidence}% bootstrap over sentences, {result['intervals']['n_resamples']} resamples.",
        "",
        f"| system | macro-F1 [{confidence}% CI] | F_avg [{confidence}% CI] | accuracy |",
        "|---|---:|---:|---:|",
        f"| {result['model']} | {_with_interval(result, 'macro_f1')} | {_with_interval(result, 'f_avg')} | {fmt(result['accuracy'])} |",
        f"| majority baseline | {_with_interval(baseline, 'macro_f1')} | {_with_interval(baseline, 'f_avg')} | {fmt(baseline['accuracy'])} |",
        "",
        f"F_avg is the mean F1 of the stance labels ({', '.join(result['data']['stance_labels'])}), "
        "the SemEval-2016 stance metric.",
        "",
        "## Per class",
        "",
        *metrics_tables(result),
    ]
    if result.get("val"):
        val = result["val"]
        lines += ["", f"Validation split (used for choices, not the headline): macro-F1 {fmt(val['macro_f1'])}, "
                  f"F_avg {fmt(val['f_avg'])}, n = {val['n']}."]
    if result.get("per_group"):
        lines += ["", f"## By group ({result['protocol_short']})", "", "| group | n | macro-F1 | F_avg | accuracy |", "|---|---:|---:|---:|---:|"]
        for fold in result["per_group"]:
            lines.append(
                f"| {fold['group']} | {fold['n']} | {fmt(fold['macro_f1'])} | {fmt(fold['f_avg'])} | {fmt(fold['accuracy'])} |"
            )
    if result.get("calibration"):
        cal = result["calibration"]
        lines += ["", "## Calibration", "",
                  f"Expected calibration error of the top probability: {cal['ece']:.3f} "
                  f"(0 = a 0.7 means right 70% of the time; reliability diagram and trade-off curve: `{RELIABILITY_PNG}`).", "",
                  "`stance classify --min-confidence P` answers `uncertain` below P; on the held-out predictions:", "",
                  "| min confidence | coverage | accuracy of the answered |", "|---:|---:|---:|"]
        for point in cal["trade_off"]:
            lines.append(f"| {point['min_confidence']:.1f} | {point['coverage']:.3f} | {fmt(point['accuracy'])} |")
    timing = result.get("timing", {})
    if timing:
        lines += ["", "## Cost", ""]
        names = {
            "evaluation_seconds": "evaluation (cross-validation) wall time, s",
            "final_fit_seconds": "final fit on all data, s",
            "train_seconds": "training wall time in all, s",
            "classify_sentences_per_second": "classify throughput, sentences/s",
        }
        for key, label in names.items():
            if key in timing:
                lines.append(f"- {label}: {timing[key]:.1f}")
        if "size_bytes" in result:
            lines.append(f"- model size on disk: {result['size_bytes'] / 1e6:.1f} MB")
    if result.get("top_features"):
        lines += ["", "## Heaviest n-grams per label (final model)", ""]
        for label, features in result["top_features"].items():
            lines.append(f"- **{label}**: " + ", ".join(f"`{name}`" for name, _ in features))
    return "\n".join(lines) + "\n"


def plot_confusion(matrix: Sequence[Sequence[int]], labels: Sequence[str], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    matrix = np.asarray(matrix)
    fig, ax = plt.subplots(figsize=(4.8, 4.2))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title, fontsize=10)
    threshold = matrix.max() / 2 if matrix.size else 0
    for (i, j), value in np.ndenumerate(matrix):
        ax.text(j, i, str(value), ha="center", va="center", color="white" if value > threshold else "black")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_reliability(cal: dict[str, Any], path: Path, title: str) -> None:
    """Reliability diagram, and the coverage/accuracy trade-off of --min-confidence."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax, trade) = plt.subplots(1, 2, figsize=(9, 4.2))
    ax.plot([0, 1], [0, 1], linestyle="--", color="#999999", label="perfect calibration")
    bins = cal["bins"]
    ax.plot([b["confidence"] for b in bins], [b["accuracy"] for b in bins], marker="o", label=title)
    for b in bins:
        ax.annotate(str(b["n"]), (b["confidence"], b["accuracy"]), fontsize=7, xytext=(3, -9), textcoords="offset points")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("top probability (mean in bin)")
    ax.set_ylabel("accuracy in bin")
    ax.set_title(f"Reliability, ECE {cal['ece']:.3f} (labels: n per bin)", fontsize=10)
    ax.legend(loc="upper left", fontsize=8)
    points = [p for p in cal["trade_off"] if p["accuracy"] is not None]
    trade.plot([p["coverage"] for p in points], [p["accuracy"] for p in points], marker="o")
    for p in points:
        trade.annotate(f"≥{p['min_confidence']:.1f}", (p["coverage"], p["accuracy"]), fontsize=7,
                       xytext=(3, 3), textcoords="offset points")
    trade.set_xlim(0, 1.05)
    trade.set_ylim(0, 1)
    trade.set_xlabel("coverage (share answered)")
    trade.set_ylabel("accuracy of the answered")
    trade.set_title("--min-confidence: coverage against precision", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def write_reports(
    folder: Path,
    result: dict[str, Any],
    texts: Sequence[str],
    gold: Sequence[str],
    probabilities: np.ndarray,
    groups: Sequence[str],
) -> None:
    """metrics.json, report.md, confusion_matrix.png and errors.csv (each held-out mistake)."""
    folder = Path(folder)
    (folder / METRICS).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    (folder / REPORT).write_text(render_report(result), encoding="utf-8")
    labels = result["confusion"]["labels"]
    plot_confusion(result["confusion"]["matrix"], labels, folder / CONFUSION_PNG,
                   f"{result['model']}: {result['protocol_short']}")
    if result.get("calibration"):
        plot_reliability(result["calibration"], folder / RELIABILITY_PNG, result["model"])
    predicted = probabilities.argmax(axis=1)
    rows = []
    for i, text in enumerate(texts):
        if labels[predicted[i]] != gold[i]:
            rows.append([text, groups[i], gold[i], labels[predicted[i]],
                         *(f"{p:.4f}" for p in probabilities[i])])
    write_csv(folder / ERRORS_CSV, ["text", "group", "true", "predicted", *(f"p_{x}" for x in labels)], rows)
