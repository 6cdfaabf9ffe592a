"""Article-level stance: classify every sentence of an article and summarise it."""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from stance.data.articles import split_article
from stance.data.io import read_text_file
from stance.errors import StanceError
from stance.evaluation.metrics import percentile_bootstrap

# Below this many predicted stance sentences, a net stance is too thin to lean on.
MIN_STANCE_SENTENCES = 5
# Colours for the first three labels in a model's order; more labels cycle through the rest.
PALETTE = ["#2e7d32", "#c62828", "#9e9e9e", "#1565c0", "#ef6c00", "#6a1b9a"]


def net_stance(predicted: Sequence[str], positive: str, negative: str) -> float:
    """(positive - negative) / (positive + negative) in [-1, 1]; 0 with no stance sentences."""
    pos = sum(p == positive for p in predicted)
    neg = sum(p == negative for p in predicted)
    return 0.0 if pos + neg == 0 else (pos - neg) / (pos + neg)


def analyze_article(
    model: Any,
    manifest: dict[str, Any],
    path: str | Path,
    target: str | None = None,
    n_bootstrap: int = 1000,
    seed: int = 0,
    top: int = 3,
) -> dict[str, Any]:
    """Counts, shares, net stance with an interval, and the strongest evidence.

    The interval resamples the sentences and, in each resample, draws every sentence's label
    from the model's probabilities, so it reflects classifier uncertainty as well as which
    sentences the article happens to contain.
    """
    if Path(path).suffix.lower() in (".csv", ".tsv", ".jsonl", ".json"):
        raise StanceError(
            f"{path}: analyze reads article text files (prose, one paragraph a line); "
            "to classify the rows of a CSV, use `stance classify MODEL --file` instead"
        )
    sentences = split_article(read_text_file(path))
    if not sentences:
        raise StanceError(f"{path}: no sentences found")
    targets = None if target is None else [target] * len(sentences)
    probabilities = model.predict_proba(sentences, targets)
    labels = model.labels
    predicted = [labels[i] for i in probabilities.argmax(axis=1)]
    counts = {label: predicted.count(label) for label in labels}
    stance_labels = manifest.get("stance_labels") or []
    result: dict[str, Any] = {
        "article": Path(path).stem,
        "path": str(path),
        "n_sentences": len(sentences),
        "counts": counts,
        "shares": {label: counts[label] / len(sentences) for label in labels},
        "net_stance": None,
        "net_stance_interval": None,
        "evidence": {},
    }
    if len(stance_labels) == 2:
        positive, negative = stance_labels
        result["net_stance"] = net_stance(predicted, positive, negative)
        result["net_stance_definition"] = f"({positive} - {negative}) / ({positive} + {negative})"
        rng = np.random.default_rng(seed)
        cumulative = np.cumsum(probabilities / probabilities.sum(axis=1, keepdims=True), axis=1)
        label_array = np.array(labels, dtype=object)

        def resampled(sample: np.ndarray) -> tuple[float]:
            draws = (rng.random(len(sample))[:, None] > cumulative[sample]).sum(axis=1)
            return (net_stance(label_array[np.minimum(draws, len(labels) - 1)], positive, negative),)

        (result["net_stance_interval"],) = percentile_bootstrap(resampled, len(sentences), n_bootstrap, 0.95, seed)
        n_stance = counts[positive] + counts[negative]
        if n_stance < MIN_STANCE_SENTENCES:
            result["warnings"] = [
                f"the net stance rests on {n_stance} predicted stance sentence(s); "
                f"below {MIN_STANCE_SENTENCES} it says little"
            ]
    for label in stance_labels:
        column = labels.index(label)
        chosen = [i for i in np.argsort(-probabilities[:, column]) if predicted[i] == label][:top]
        result["evidence"][label] = [
            {"sentence": int(i) + 1, "text": sentences[i], "probability": round(float(probabilities[i, column]), 4)}
            for i in chosen
        ]
    result["sentences"] = [
        {"text": s, "label": p, "scores": {label: round(float(x), 4) for label, x in zip(labels, row)}}
        for s, p, row in zip(sentences, predicted, probabilities)
    ]
    return result


def render_html(results: list[dict[str, Any]], labels: Sequence[str], model_dir: str) -> str:
    """One self-contained page: a summary row per article, then each article with every
    sentence highlighted by its label (colour) and confidence (strength)."""
    colours = {label: PALETTE[i % len(PALETTE)] for i, label in enumerate(labels)}
    legend = " ".join(f'<span class="tag" style="background:{colours[x]}">{html.escape(x)}</span>' for x in labels)
    head = "".join(f"<th>{html.escape(x)}</th>" for x in labels)
    rows = []
    for r in results:
        interval = r["net_stance_interval"]
        net = (
            "n/a"
            if r["net_stance"] is None
            else (f"{r['net_stance']:+.2f}" + (f" [{interval[0]:+.2f}, {interval[1]:+.2f}]" if interval else ""))
        )
        cells = "".join(f"<td>{r['counts'][x]} ({100 * r['shares'][x]:.0f}%)</td>" for x in labels)
        rows.append(
            f'<tr><td><a href="#{html.escape(r["article"])}">{html.escape(r["article"])}</a></td>'
            f"<td>{r['n_sentences']}</td>{cells}<td>{net}</td></tr>"
        )
    articles = []
    for r in results:
        spans = []
        for s in r["sentences"]:
            confidence = max(s["scores"].values())
            alpha = int(40 + 180 * max(0.0, (confidence - 1 / len(labels)) / (1 - 1 / len(labels))))
            tip = ", ".join(f"{k} {v:.2f}" for k, v in s["scores"].items())
            spans.append(
                f'<span class="s" style="background:{colours[s["label"]]}{alpha:02x}" '
                f'title="{html.escape(s["label"])} — {html.escape(tip)}">{html.escape(s["text"])}</span>'
            )
        articles.append(
            f'<section id="{html.escape(r["article"])}"><h2>{html.escape(r["article"])}</h2>'
            f"<p>{' '.join(spans)}</p></section>"
        )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>stance analysis</title>
<style>
body {{ font: 16px/1.6 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; }}
table {{ border-collapse: collapse; margin: 1rem 0; }}
td, th {{ border: 1px solid #ccc; padding: .3rem .6rem; text-align: right; }}
td:first-child, th:first-child {{ text-align: left; }}
.tag {{ color: #fff; padding: .1rem .5rem; border-radius: .3rem; }}
.s {{ padding: .1rem .15rem; border-radius: .2rem; }}
</style></head><body>
<h1>Stance by sentence</h1>
<p>Model <code>{html.escape(model_dir)}</code>. Colour: predicted label {legend}; stronger colour = more confident
(hover a sentence for its probabilities). Net stance: {html.escape(results[0].get("net_stance_definition", "n/a"))},
with a 95% interval that resamples sentences and the model's label probabilities.</p>
<table><tr><th>article</th><th>sentences</th>{head}<th>net stance [95% CI]</th></tr>
{"".join(rows)}</table>
{"".join(articles)}
</body></html>
"""
