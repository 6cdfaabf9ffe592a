"""Figures for reports and benchmarks, drawn with matplotlib's file-only backend."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np


def pyplot() -> Any:
    """matplotlib.pyplot on the Agg backend: figures go to files, never to a screen."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_confusion(matrix: Sequence[Sequence[int]], labels: Sequence[str], path: Path, title: str) -> None:
    """Counts in the cells, coloured by the share of each true label's row (recall), so a rare
    label's misses show as clearly as a common one's."""
    plt = pyplot()
    matrix = np.asarray(matrix)
    totals = matrix.sum(axis=1, keepdims=True)
    shares = np.divide(matrix, totals, out=np.zeros(matrix.shape), where=totals > 0)
    fig, ax = plt.subplots(figsize=(4.8, 4.2))
    ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(f"{title}\n(colour: share of the true label's row)", fontsize=9)
    for (i, j), value in np.ndenumerate(matrix):
        ax.text(j, i, f"{value}\n{shares[i, j]:.0%}", ha="center", va="center", fontsize=8,
                color="white" if shares[i, j] > 0.5 else "black")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_reliability(cal: dict[str, Any], path: Path, title: str) -> None:
    """Reliability diagram, and the coverage/accuracy trade-off of --min-confidence."""
    plt = pyplot()
    fig, (ax, trade) = plt.subplots(1, 2, figsize=(9, 4.2))
    ax.plot([0, 1], [0, 1], linestyle="--", color="#999999", label="perfect calibration")
    bins = cal["bins"]
    ax.plot([b["confidence"] for b in bins], [b["accuracy"] for b in bins], marker="o", label=title)
    for number, b in enumerate(bins):
        # Alternate above/below the point so neighbouring counts do not overlap.
        ax.annotate(str(b["n"]), (b["confidence"], b["accuracy"]), fontsize=7,
                    xytext=(3, 6 if number % 2 else -11), textcoords="offset points")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("top probability (mean in bin)")
    ax.set_ylabel("accuracy in bin")
    ax.set_title(f"Reliability, ECE {cal['ece']:.3f} (numbers: n per bin)", fontsize=10)
    ax.legend(loc="upper left", fontsize=8)
    points = [p for p in cal["trade_off"] if p["accuracy"] is not None]
    trade.plot([p["coverage"] for p in points], [p["accuracy"] for p in points], marker="o")
    for number, p in enumerate(points):
        trade.annotate(f"≥{p['min_confidence']:.1f}", (p["coverage"], p["accuracy"]), fontsize=7,
                       xytext=(4, 6 if number % 2 else -11), textcoords="offset points")
    trade.set_xlim(0, 1.05)
    trade.set_ylim(0, 1.05)
    trade.set_xlabel("coverage (share answered)")
    trade.set_ylabel("accuracy of the answered")
    trade.set_title("--min-confidence: coverage against precision", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_comparison(names: Sequence[str], scores: Sequence[Any], path: Path) -> None:
    """Horizontal bars with 95% intervals of macro-F1 and F_avg; the first row is the baseline."""
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(9, 0.6 * len(names) + 1.6), sharey=True)
    for ax, metric, title in zip(axes, ("macro_f1", "f_avg"), ("macro-F1", "F_avg")):
        values = [getattr(s, metric) or 0.0 for s in scores]
        intervals = [s.interval(metric) or [v, v] for s, v in zip(scores, values)]
        errors = [[v - lo for v, (lo, _) in zip(values, intervals)], [hi - v for v, (_, hi) in zip(values, intervals)]]
        ax.barh(list(names), values, xerr=errors, color=["#bbbbbb"] + ["#4c72b0"] * (len(names) - 1), capsize=4)
        ax.set_xlim(0, 1)
        ax.set_title(f"{title} (95% CI)")
        ax.invert_yaxis()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
