"""Side-by-side comparison of trained models, and the Hydra callback that writes it after a sweep."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

from hydra.experimental.callback import Callback

from stance.data.io import write_text
from stance.evaluation.results import TrainingResult
from stance.model_folder import METRICS
from stance.reports.format import fmt, fmt_interval
from stance.reports.plots import plot_comparison

JOB_RECORD = "job.json"  # what a sweep job leaves in its Hydra job folder for the comparison


def _varying(results: Sequence[TrainingResult]) -> list[list[str]]:
    """Each run's overrides that differ between the runs (the swept keys), model= left out."""
    def as_dict(result: TrainingResult) -> dict[str, str]:
        pairs = (o.split("=", 1) for o in result.overrides if "=" in o)
        return {k: v for k, v in pairs if k != "model"}

    values = [as_dict(r) for r in results]
    keys = [k for k in dict.fromkeys(k for v in values for k in v) if len({v.get(k) for v in values}) > 1]
    return [[f"{k}={v[k]}" for k in keys if k in v] for v in values]


def display_names(results: Sequence[TrainingResult]) -> list[str]:
    """The model kind, plus what tells runs apart: the swept overrides, else the folder name."""
    names = []
    for result, swept in zip(results, _varying(results)):
        folder = Path(result.output_dir or result.model).name
        if swept and not all(s.startswith("output_dir=") for s in swept):
            names.append(f"{result.model} ({' '.join(s for s in swept if not s.startswith('output_dir='))})")
        else:
            names.append(result.model if folder in (result.model, "model") else f"{result.model} ({folder})")
    return names


def render(results: Sequence[TrainingResult]) -> str:
    head = results[0]
    labels = head.scores.labels
    lines = [
        "# Model comparison",
        "",
        f"Data: `{head.data['path']}` ({head.scores.n} sentences scored). Protocol: {head.protocol}. "
        "95% bootstrap intervals over sentences.",
        "",
        "| model | macro-F1 [95% CI] | F_avg [95% CI] | accuracy | F1 " + " / ".join(labels)
        + " | train (CV + final), s | classify, sentences/s | size, MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]

    def cells(name: str, s: Any, timing: dict[str, float], size: int | None) -> str:
        cost = (f"{timing['train_seconds']:.1f} | {timing['classify_sentences_per_second']:.0f} | {size / 1e6:.1f}"
                if "classify_sentences_per_second" in timing and size is not None
                else (f"{timing.get('evaluation_seconds', float('nan')):.1f} | – | –" if timing else "– | – | –"))
        return (f"| {name} | {fmt(s.macro_f1)} {fmt_interval(s.interval('macro_f1'))} "
                f"| {fmt(s.f_avg)} {fmt_interval(s.interval('f_avg'))} | {fmt(s.accuracy)} | "
                + " / ".join(fmt(s.per_class[x]["f1"]) for x in labels) + f" | {cost} |")

    lines.append(cells("majority baseline", head.baseline, {}, None))
    lines += [cells(name, r.scores, r.timing, r.size_bytes) for name, r in zip(display_names(results), results)]
    return "\n".join(lines) + "\n"


def write_comparison(results: Sequence[TrainingResult], report_dir: Path) -> Path:
    """comparison.{md,json,png} in `report_dir`."""
    report_dir = Path(report_dir)
    write_text(report_dir / "comparison.md", render(results))
    write_text(report_dir / "comparison.json", json.dumps([r.to_dict() for r in results], indent=2) + "\n")
    plot_comparison(["majority"] + display_names(results),
                    [results[0].baseline] + [r.scores for r in results], report_dir / "comparison.png")
    return report_dir / "comparison.md"


def read_result(folder: Path) -> TrainingResult:
    return TrainingResult.from_dict(json.loads((Path(folder) / METRICS).read_text(encoding="utf-8")))


class ComparisonCallback(Callback):
    """After a multirun, compare what its jobs measured, in job order.

    Written next to the sweep's outputs (`hydra.sweep.dir`), and also to `report_dir` when given
    (`make train` writes reports/comparison.md this way).
    """

    def __init__(self, report_dir: str | None = None):
        self.report_dir = report_dir

    def on_multirun_end(self, config: Any, **kwargs: Any) -> None:
        sweep = Path(config.hydra.sweep.dir)
        records = sorted(sweep.glob(f"*/{JOB_RECORD}"), key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)
        results = [TrainingResult.from_dict(json.loads(r.read_text(encoding="utf-8"))) for r in records]
        if not results:
            return
        for folder in {sweep, *([Path(self.report_dir)] if self.report_dir else [])}:
            path = write_comparison(results, folder)
            print(f"comparison of {len(results)} runs written to {path}")
