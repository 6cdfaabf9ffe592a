"""Side-by-side comparison of trained models, written after a Hydra multirun."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

from hydra.experimental.callback import Callback

from stance.manifest import METRICS
from stance.reports import fmt, fmt_interval


def collect(model_dirs: Sequence[Path]) -> list[dict[str, Any]]:
    rows = []
    for folder in model_dirs:
        metrics = json.loads((Path(folder) / METRICS).read_text(encoding="utf-8"))
        metrics["folder"] = str(folder)
        rows.append(metrics)
    return rows


def render(rows: list[dict[str, Any]]) -> str:
    labels = rows[0]["confusion"]["labels"]
    head = rows[0]
    lines = [
        "# Model comparison",
        "",
        f"Data: `{head['data']['path']}` ({head['n']} sentences). Protocol: {head['protocol']}. "
        f"95% bootstrap intervals over sentences.",
        "",
        "| model | macro-F1 [95% CI] | F_avg [95% CI] | F1 " + " / ".join(labels)
        + " | train (CV + final), s | classify, sentences/s | size, MB |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    baseline = head["baseline"]
    lines.append(
        f"| majority baseline | {fmt(baseline['macro_f1'])} {fmt_interval(baseline['intervals']['macro_f1'])} "
        f"| {fmt(baseline['f_avg'])} {fmt_interval(baseline['intervals']['f_avg'])} | "
        + " / ".join(fmt(baseline["per_class"][x]["f1"]) for x in labels) + " | – | – | – |"
    )
    for row in rows:
        timing = row.get("timing", {})
        name = row["model"] if Path(row["folder"]).name == row["model"] else f"{row['model']} ({Path(row['folder']).name})"
        lines.append(
            f"| {name} | {fmt(row['macro_f1'])} {fmt_interval(row['intervals']['macro_f1'])} "
            f"| {fmt(row['f_avg'])} {fmt_interval(row['intervals']['f_avg'])} | "
            + " / ".join(fmt(row["per_class"][x]["f1"]) for x in labels)
            + f" | {timing.get('train_seconds', float('nan')):.1f} "
            f"| {timing.get('classify_sentences_per_second', float('nan')):.0f} "
            f"| {row.get('size_bytes', 0) / 1e6:.1f} |"
        )
    return "\n".join(lines) + "\n"


def plot(rows: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = ["majority"] + [r["model"] if Path(r["folder"]).name == r["model"] else Path(r["folder"]).name for r in rows]
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.4), sharey=True)
    for ax, metric, title in zip(axes, ("macro_f1", "f_avg"), ("macro-F1", "F_avg")):
        sources = [rows[0]["baseline"]] + rows
        values = [s[metric] or 0.0 for s in sources]
        intervals = [s["intervals"][metric] or [v, v] for s, v in zip(sources, values)]
        errors = [[v - lo for v, (lo, _) in zip(values, intervals)], [hi - v for v, (_, hi) in zip(values, intervals)]]
        ax.barh(names, values, xerr=errors, color=["#bbbbbb"] + ["#4c72b0"] * len(rows), capsize=4)
        ax.set_xlim(0, 1)
        ax.set_title(f"{title} (95% CI)")
        ax.invert_yaxis()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def write_comparison(model_dirs: Sequence[Path], report_dir: Path) -> Path:
    """reports/comparison.{md,json,png} from the metrics of the given model folders."""
    rows = collect(model_dirs)
    report_dir = Path(report_dir)
    report_dir.mkdir(parents=True, exist_ok=True)
    (report_dir / "comparison.md").write_text(render(rows), encoding="utf-8")
    summary = [{k: r.get(k) for k in ("model", "folder", "macro_f1", "f_avg", "accuracy", "intervals", "per_class", "timing", "size_bytes")} for r in rows]
    (report_dir / "comparison.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    plot(rows, report_dir / "comparison.png")
    return report_dir / "comparison.md"


class ComparisonCallback(Callback):
    """After a multirun, compare the models its jobs saved."""

    def __init__(self, report_dir: str = "reports"):
        self.report_dir = report_dir

    def on_multirun_end(self, config: Any, **kwargs: Any) -> None:
        from stance.hydra_entry import JOB_RECORD

        records = sorted(Path(config.hydra.sweep.dir).glob(f"*/{JOB_RECORD}"))
        model_dirs = [Path(json.loads(r.read_text())["model_dir"]) for r in records]
        if model_dirs:
            path = write_comparison(model_dirs, Path(self.report_dir))
            print(f"comparison of {len(model_dirs)} models written to {path}")
