"""Evaluation reports written next to a model: metrics.json, report.md, PNGs, errors.csv."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import numpy as np

from stance.data.io import write_csv
from stance.evaluation.results import TrainingResult
from stance.model_folder import CONFUSION_PNG, ERRORS_CSV, METRICS, RELIABILITY_PNG, REPORT
from stance.reports.format import fmt, metrics_tables, with_interval
from stance.reports.plots import plot_confusion, plot_reliability


def render_report(result: TrainingResult) -> str:
    """The readable report: headline with intervals against the baseline, then details."""
    scores, baseline = result.scores, result.baseline
    confidence = int(round(scores.intervals["confidence"] * 100))
    sources = result.data.get("sources", {})
    trained_on = f"`{result.data['path']}` ({scores.n} sentences, target `{result.data['target']}`)"
    if sources.get("train_only"):
        extra = sources["train_only"]
        trained_on += (f", plus {extra['n']} train-only sentences (`{extra['path']}`) that join every training set "
                       "and are never scored: every score below comes from the evaluated data only")
    lines = [
        f"# Evaluation report: {result.model}",
        "",
        f"Data: {trained_on}.",
        f"Protocol: {result.protocol}.",
        f"Intervals: {confidence}% bootstrap over sentences, {scores.intervals['n_resamples']} resamples.",
        "",
        f"| system | macro-F1 [{confidence}% CI] | F_avg [{confidence}% CI] | accuracy |",
        "|---|---:|---:|---:|",
        f"| {result.model} | {with_interval(scores, 'macro_f1')} | {with_interval(scores, 'f_avg')} "
        f"| {fmt(scores.accuracy)} |",
        f"| majority baseline | {with_interval(baseline, 'macro_f1')} | {with_interval(baseline, 'f_avg')} "
        f"| {fmt(baseline.accuracy)} |",
        "",
        f"F_avg is the mean F1 of the stance labels ({', '.join(result.data['stance_labels'])}), "
        "the SemEval-2016 stance metric. Accuracy next to the majority baseline's shows whether the model "
        "does better than always answering the commonest label.",
        "",
        "## Per class",
        "",
        *metrics_tables(scores),
        "",
        f"Every held-out mistake, with its text, group, true and predicted label and probabilities: `{ERRORS_CSV}`. "
        f"Confusion matrix figure: `{CONFUSION_PNG}` (coloured by the share of each true label).",
    ]
    if result.val is not None:
        val = result.val
        lines += ["", f"Validation split (used for choices, not the headline): macro-F1 {fmt(val.macro_f1)}, "
                  f"F_avg {fmt(val.f_avg)}, n = {val.n}."]
    if result.search:
        lines += ["", "## Settings chosen on val (data.search)", "",
                  f"{len(result.search['candidates'])} candidates, each trained on train and scored by val F_avg; "
                  "the val score of the choice is optimistic, test never took part.", "",
                  "| scope | chosen settings | val F_avg of the choice |", "|---|---|---:|"]
        for scope, settings in result.search["chosen"].items():
            index = result.search["candidates"].index(settings)
            shown = ", ".join(f"{key}={value}" for key, value in settings.items())
            lines.append(f"| {scope} | {shown} | {fmt(result.search['val_f_avg'][scope][index])} |")
    if result.per_group:
        lines += ["", f"## By group ({result.protocol_short})", "", "| group | n | macro-F1 | F_avg | accuracy |",
                  "|---|---:|---:|---:|---:|"]
        for g in result.per_group:
            lines.append(f"| {g.group} | {g.n} | {fmt(g.macro_f1)} | {fmt(g.f_avg)} | {fmt(g.accuracy)} |")
    if scores.calibration:
        cal = scores.calibration
        lines += ["", "## Calibration", "",
                  f"Expected calibration error of the top probability: {cal['ece']:.3f} "
                  f"(0 = a 0.7 means right 70% of the time; reliability diagram and trade-off curve: "
                  f"`{RELIABILITY_PNG}`).", "",
                  f"`stance classify --min-confidence P` answers `uncertain` below P. For this {result.model} model "
                  "on the held-out predictions (pick P from this table, not from another model's):", "",
                  "| min confidence | coverage | accuracy of the answered |", "|---:|---:|---:|"]
        for point in cal["trade_off"]:
            lines.append(f"| {point['min_confidence']:.1f} | {point['coverage']:.3f} | {fmt(point['accuracy'])} |")
    if result.timing:
        lines += ["", "## Cost", ""]
        names = {
            "evaluation_seconds": "evaluation (cross-validation) wall time, s",
            "final_fit_seconds": "final fit on all data, s",
            "train_seconds": "training wall time in all, s",
            "classify_sentences_per_second": "classify throughput, sentences/s",
        }
        lines += [f"- {label}: {result.timing[key]:.1f}" for key, label in names.items() if key in result.timing]
        if result.size_bytes is not None:
            lines.append(f"- model size on disk: {result.size_bytes / 1e6:.1f} MB")
    if result.top_features:
        lines += ["", "## Heaviest n-grams per label (final model; `word:` word n-grams, `char:` character n-grams)",
                  ""]
        for label, features in result.top_features.items():
            lines.append(f"- **{label}**: " + ", ".join(f"`{name}`" for name, _ in features))
    return "\n".join(lines) + "\n"


def write_reports(
    folder: Path,
    result: TrainingResult,
    texts: Sequence[str],
    gold: Sequence[str],
    probabilities: np.ndarray,
    groups: Sequence[str],
) -> None:
    """metrics.json, report.md, confusion_matrix.png, reliability.png and errors.csv."""
    folder = Path(folder)
    (folder / METRICS).write_text(json.dumps(result.to_dict(), indent=2) + "\n", encoding="utf-8")
    (folder / REPORT).write_text(render_report(result), encoding="utf-8")
    labels = result.scores.labels
    plot_confusion(result.scores.confusion["matrix"], labels, folder / CONFUSION_PNG,
                   f"{result.model}: {result.protocol_short}")
    if result.scores.calibration:
        plot_reliability(result.scores.calibration, folder / RELIABILITY_PNG, result.model)
    predicted = probabilities.argmax(axis=1)
    rows = [[text, groups[i], gold[i], labels[predicted[i]], *(f"{p:.4f}" for p in probabilities[i])]
            for i, text in enumerate(texts) if labels[predicted[i]] != gold[i]]
    write_csv(folder / ERRORS_CSV, ["text", "group", "true", "predicted", *(f"p_{x}" for x in labels)], rows)
