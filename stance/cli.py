"""The `stance` command: classify, evaluate, info, data.

A plain argparse program (Hydra is for experiments). Exit codes: 0 success, 2 bad usage or
bad input (one line on stderr), 1 unexpected internal error (one line; --debug shows the
traceback). Heavy libraries are imported inside the commands that need them.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Sequence

from stance.errors import StanceError

CHUNK = 256


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one line and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise StanceError(f"{self.prog}: {message} (see --help)")


def _probability(value: str) -> float:
    number = float(value)
    if not 0 <= number <= 1:
        raise argparse.ArgumentTypeError("must be between 0 and 1")
    return number


def _non_negative(value: str) -> int:
    number = int(value)
    if number < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return number


def _at_least_two(value: str) -> int:
    number = int(value)
    if number < 2:
        raise argparse.ArgumentTypeError("must be at least 2")
    return number


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="stance", description=__doc__.split("\n")[0])
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    from stance import __version__

    parser.add_argument("--version", action="version", version=f"stance {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    classify = commands.add_parser("classify", help="label sentences with a trained model")
    classify.add_argument("model_dir", help="a model folder (e.g. models/tfidf)")
    classify.add_argument("texts", nargs="*", help="sentences to classify; '-' reads stdin, one per line")
    classify.add_argument("--file", "-f", help="a text file (one sentence a line) or a CSV with a 'text' column; '-' for stdin")
    classify.add_argument("--json", action="store_true", help="one JSON object per line")
    classify.add_argument("--target", help="stance target of the texts, for models trained on several targets")
    classify.add_argument("--min-confidence", type=_probability, default=0.0, metavar="P",
                          help="answer 'uncertain' when the top probability is below P (trade coverage for precision)")
    classify.add_argument("--explain", action="store_true",
                          help="show the n-grams that pushed each sentence to its label (linear n-gram models)")
    classify.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)

    evaluate = commands.add_parser("evaluate", help="score a model on a labeled CSV (columns text, label)")
    evaluate.add_argument("model_dir")
    evaluate.add_argument("data", help="CSV with 'text' and 'label' columns; others are ignored")
    evaluate.add_argument("--json", action="store_true", help="print one JSON object")
    evaluate.add_argument("--target", help="stance target of every row (multi-target models; else a 'target' column is used)")
    evaluate.add_argument("--n-bootstrap", type=_at_least_two, default=1000, help="bootstrap resamples for the intervals")
    evaluate.add_argument("--seed", type=_non_negative, default=0, help="seed of the bootstrap")
    evaluate.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)

    analyze = commands.add_parser("analyze", help="article-level stance: classify every sentence of articles")
    analyze.add_argument("model_dir")
    analyze.add_argument("articles", nargs="+", help="article text files (UTF-8, one paragraph a line)")
    analyze.add_argument("--json", action="store_true", help="one JSON object per article")
    analyze.add_argument("--html", metavar="FILE", help="write one self-contained page with every sentence highlighted")
    analyze.add_argument("--top", type=int, default=3, help="evidence sentences per stance label")
    analyze.add_argument("--target", help="stance target, for models trained on several targets")
    analyze.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)

    audit = commands.add_parser("audit", help="list labels the cross-validated models most disagree with")
    audit.add_argument("data", help="labeled CSV (text, label and a group column)")
    audit.add_argument("--model", default="ensemble", help="model kind for out-of-fold probabilities (default: ensemble)")
    audit.add_argument("--group", default="article", help="column grouping the cross-validation folds")
    audit.add_argument("--labels", default="supportive,skeptical,neutral", help="comma-separated label set")
    audit.add_argument("--output", "-o", help="write the CSV here instead of standard output")
    audit.add_argument("--seed", type=_non_negative, default=0)
    audit.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)

    suggest = commands.add_parser("suggest", help="rank unlabeled sentences by how much labeling them should teach the model")
    suggest.add_argument("model_dir")
    suggest.add_argument("pool", help="unlabeled sentences: a CSV with a 'text' column, or one sentence a line")
    suggest.add_argument("-n", type=int, default=20, help="how many to suggest (default 20)")
    suggest.add_argument("--diversity", type=float, default=0.5, help="weight against near-duplicates (0 = uncertainty only)")
    suggest.add_argument("--output", "-o", help="write the CSV here instead of standard output")
    suggest.add_argument("--target", help="stance target, for models trained on several targets")
    suggest.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)

    info = commands.add_parser("info", help="show a model folder's manifest")
    info.add_argument("model_dir")
    info.add_argument("--json", action="store_true", help="print the manifest as JSON")
    info.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)

    export = commands.add_parser("export", help="add an ONNX export to a transformer or SetFit model folder "
                                 "(classify then runs on onnxruntime, without torch)")
    export.add_argument("model_dir")
    export.add_argument("--precision", choices=("fp32", "int8"), default="fp32",
                        help="int8: dynamic quantisation, faster and smaller, changes some labels (default fp32)")
    export.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)

    data = commands.add_parser("data", help="label counts of a labeled data file")
    data.add_argument("path", nargs="?", default="seeds/sentences.csv")
    data.add_argument("--group", default="article", help="column to count by (default: article)")
    data.add_argument("--labels", default="supportive,skeptical,neutral", help="comma-separated label set")
    data.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)
    return parser


def _classify(args: argparse.Namespace) -> int:
    from stance.inputs import read_inputs
    from stance.models import load_model

    if not args.texts and args.file is None:
        raise StanceError("classify: give sentences, '-' for stdin, or --file")
    model, manifest = load_model(args.model_dir)
    inputs = read_inputs(args.texts, args.file)
    if not inputs.texts:
        raise StanceError(f"classify: no non-empty text to classify ({len(inputs.skipped_empty)} empty skipped)")
    if inputs.skipped_empty:
        shown = ", ".join(inputs.skipped_empty[:3]) + (", ..." if len(inputs.skipped_empty) > 3 else "")
        print(f"{len(inputs.skipped_empty)} empty text(s) left unlabeled: {shown}", file=sys.stderr)
    texts = inputs.texts
    targets = _targets(manifest, args.target, None, len(texts))
    if args.explain and not hasattr(model, "explain"):
        raise StanceError(f"--explain works for linear n-gram models (tfidf); {args.model_dir} is a {manifest['kind']} model")
    explanations = iter(model.explain(texts, targets) if args.explain else [])
    probabilities = iter(_predict_in_chunks(model, texts, targets))
    out = sys.stdout
    if not args.json:
        out.write(f"{'label':<12} {'score':>5}  text\n")
    for text in inputs.rows:  # one output row per input row, empty ones included
        if text is None:
            out.write(json.dumps({"text": "", "label": None, "scores": None, "skipped": "empty"}) + "\n"
                      if args.json else f"{'-':<12} {'':>5}  (empty, not classified)\n")
            continue
        row = next(probabilities)
        best = int(row.argmax())
        label = model.labels[best] if row[best] >= args.min_confidence else "uncertain"
        explanation = next(explanations) if args.explain else None
        if args.json:
            record = {"text": text, "label": label,
                      "scores": {name: round(float(p), 6) for name, p in zip(model.labels, row)}}
            if explanation is not None:
                record["explanation"] = explanation
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            shown = " ".join(text.split())
            shown = shown if len(shown) <= 90 else shown[:87] + "..."
            out.write(f"{label:<12} {row[best]:>5.2f}  {shown}\n")
            if explanation:
                out.write(" " * 20 + "because of: " + ", ".join(f"'{g}' {w:+.2f}" for g, w in explanation) + "\n")
    return 0


def _targets(manifest: dict, given: str | None, column: list[str] | None, n: int) -> list[str] | None:
    """Per-text targets for a multi-target model (from --target or a column); None otherwise."""
    known = manifest.get("targets")
    if not known:
        if given is not None:
            raise StanceError(f"--target: this model has a single target ({manifest.get('target')}); leave it out")
        return None
    if given is None and column is None:
        raise StanceError(f"this model was trained on several targets: pass --target (one of: {', '.join(known)})")
    targets = [given.strip()] * n if given is not None else [x.strip() for x in column]
    unknown = sorted(set(targets) - set(known))
    if unknown:
        raise StanceError(f"unknown target {unknown[0]!r} (this model knows: {', '.join(known)})")
    return targets


def _predict_in_chunks(model: Any, texts: list[str], targets: list[str] | None = None):
    """Predict in chunks, with a progress bar on stderr for long inputs at a terminal."""
    import numpy as np

    chunks = [texts[i : i + CHUNK] for i in range(0, len(texts), CHUNK)]
    progress = None
    if len(chunks) > 1 and sys.stderr.isatty():
        from tqdm import tqdm

        progress = tqdm(total=len(texts), unit="sent", file=sys.stderr)
    parts = []
    for start, chunk in zip(range(0, len(texts), CHUNK), chunks):
        parts.append(model.predict_proba(chunk, None if targets is None else targets[start : start + CHUNK]))
        if progress is not None:
            progress.update(len(chunk))
    if progress is not None:
        progress.close()
    return np.vstack(parts)


def _evaluate(args: argparse.Namespace) -> int:
    from stance.data import load_labeled
    from stance.evaluation import evaluate_predictions
    from stance.models import load_model
    from stance.reports import fmt, fmt_interval, metrics_tables

    model, manifest = load_model(args.model_dir)
    # Duplicate texts or ids would count one sentence twice in every score.
    data = load_labeled(args.data, model.labels, required=("text", "label"), unique_ids=True)
    targets = _targets(manifest, args.target, data.columns.get("target"), len(data.texts))
    probabilities = _predict_in_chunks(model, data.texts, targets)
    predicted = [model.labels[i] for i in probabilities.argmax(axis=1)]
    metrics = evaluate_predictions(
        data.labels, predicted, model.labels, manifest.get("stance_labels", []),
        n_bootstrap=args.n_bootstrap, confidence=0.95, seed=args.seed,
    )
    if args.json:
        print(json.dumps(metrics))
        return 0
    print(f"{args.data}: {metrics['n']} sentences, model {args.model_dir} ({manifest['kind']})")
    print(f"macro-F1 {fmt(metrics['macro_f1'])} {fmt_interval(metrics['intervals']['macro_f1'])}   "
          f"F_avg {fmt(metrics['f_avg'])} {fmt_interval(metrics['intervals']['f_avg'])}   "
          f"accuracy {fmt(metrics['accuracy'])}   (95% bootstrap intervals)")
    print()
    print("\n".join(metrics_tables(metrics)))
    return 0


def _analyze(args: argparse.Namespace) -> int:
    from pathlib import Path

    from stance.analysis import analyze_article, render_html
    from stance.models import load_model

    model, manifest = load_model(args.model_dir)
    targets = _targets(manifest, args.target, None, 1)
    target = None if targets is None else targets[0]
    results = [analyze_article(model, manifest, path, target=target, top=args.top) for path in args.articles]
    if args.html:
        Path(args.html).write_text(render_html(results, model.labels, args.model_dir), encoding="utf-8")
        print(f"wrote {args.html}", file=sys.stderr)
    if args.json:
        for r in results:
            print(json.dumps({k: v for k, v in r.items() if k != "sentences"}, ensure_ascii=False))
        return 0
    from stance.reports import fmt

    width = max(len("article"), *(len(r["article"]) for r in results))
    print(f"{'article':<{width}} {'n':>4} " + " ".join(f"{x:>11}" for x in model.labels) + "  net stance [95% CI]")
    for r in results:
        interval = r["net_stance_interval"]
        net = "n/a" if r["net_stance"] is None else f"{r['net_stance']:+.2f}" + (
            f" [{interval[0]:+.2f}, {interval[1]:+.2f}]" if interval else "")
        cells = " ".join(f"{r['counts'][x]:>4} ({100 * r['shares'][x]:>3.0f}%)" for x in model.labels)
        print(f"{r['article']:<{width}} {r['n_sentences']:>4} {cells}  {net}")
    if results[0].get("net_stance_definition"):
        print(f"net stance = {results[0]['net_stance_definition']} over predicted sentence labels")
    for r in results:
        for label, evidence in r["evidence"].items():
            for e in evidence:
                text = e["text"] if len(e["text"]) <= 100 else e["text"][:97] + "..."
                print(f"{r['article']} {label} {fmt(e['probability'], 2)} #{e['sentence']}: {text}")
    return 0


def _audit(args: argparse.Namespace) -> int:
    from stance.audit import audit
    from stance.data import write_csv

    labels = [x.strip() for x in args.labels.split(",") if x.strip()]
    rows = audit(args.data, labels, model=args.model, group_column=args.group, seed=args.seed)
    header = ["rank", "id", "text", "group", "given", "suggested", "p_given", "p_suggested"]
    table = [[r[k] for k in header] for r in rows]
    if args.output:
        write_csv(args.output, header, table)
    else:
        write_csv(sys.stdout, header, table)
    print(f"{len(rows)} suspicious label(s) of {args.data} (out-of-fold {args.model}, confident learning)",
          file=sys.stderr)
    return 0


def _suggest(args: argparse.Namespace) -> int:
    from stance.active import entropy, select
    from stance.data import write_csv
    from stance.inputs import read_inputs
    from stance.models import load_model

    if args.n < 1:
        raise StanceError("suggest: -n must be at least 1")
    model, manifest = load_model(args.model_dir)
    inputs = read_inputs([], args.pool)
    keep = [i for i, row in enumerate(inputs.rows) if row is not None]
    if not keep:
        raise StanceError(f"{args.pool}: no non-empty text")
    texts = [inputs.rows[i] for i in keep]
    targets = _targets(manifest, args.target, None, len(texts))
    probabilities = _predict_in_chunks(model, texts, targets)
    uncertainty = entropy(probabilities)
    picks = select(probabilities, texts, args.n, diversity=args.diversity)
    rows = []
    for rank, i in enumerate(picks, start=1):
        best = int(probabilities[i].argmax())
        rows.append([rank, inputs.positions[keep[i]], texts[i], "", manifest.get("target", ""),
                     f"{uncertainty[i]:.4f}", model.labels[best], f"{probabilities[i, best]:.4f}"])
    header = ["rank", "source", "text", "label", "target", "uncertainty", "predicted", "p_predicted"]
    write_csv(args.output if args.output else sys.stdout, header, rows)
    print(f"{len(rows)} of {len(texts)} sentences suggested for labeling (fill the 'label' column)", file=sys.stderr)
    return 0


def _info(args: argparse.Namespace) -> int:
    from stance.manifest import read_manifest
    from stance.reports import fmt, fmt_interval

    manifest = read_manifest(args.model_dir)
    if args.json:
        print(json.dumps(manifest, indent=2))
        return 0
    metrics = manifest.get("metrics") or {}
    intervals = metrics.get("intervals") if isinstance(metrics.get("intervals"), dict) else {}
    lines = [
        f"model:        {args.model_dir}",
        f"kind:         {manifest['kind']}",
        f"target:       {manifest.get('target', '?')}",
        f"labels:       {', '.join(manifest['labels'])} (stance labels: {', '.join(manifest.get('stance_labels', []))})",
        f"created:      {manifest.get('created', '?')}",
        f"data:         {manifest.get('data_fingerprint', '?')}",
    ]
    if manifest.get("targets"):
        lines.append(f"targets:      {', '.join(manifest['targets'])} (classify with --target)")
    if metrics:
        lines.append(f"evaluation:   {metrics.get('protocol', '?')}")
        for name in ("macro_f1", "f_avg", "accuracy"):
            value = metrics.get(name)
            value = value if isinstance(value, (int, float)) else None
            lines.append(f"  {name + ':':<12}{fmt(value)} {fmt_interval(intervals.get(name)) if intervals.get(name) else ''}".rstrip())
    model_config = (manifest.get("config") or {}).get("model") or {}
    if model_config:
        lines.append("settings:     " + ", ".join(f"{k}={v}" for k, v in model_config.items() if k != "name"))
    from stance.models.onnx import describe

    if describe(manifest):
        lines.append(f"onnx:         {describe(manifest)}")
    versions = manifest.get("versions") or {}
    if versions:
        lines.append("versions:     " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    print("\n".join(lines))
    return 0


def _export(args: argparse.Namespace) -> int:
    from stance.models.onnx import export_model_folder

    entry = export_model_folder(args.model_dir, args.precision)
    print(f"{args.model_dir}: {entry['precision']} ONNX export written ({', '.join(entry['files'])}, "
          f"{entry['bytes'] / 1e6:.1f} MB); classify, evaluate, analyze and suggest now run on onnxruntime")
    return 0


def _data(args: argparse.Namespace) -> int:
    from collections import Counter

    from stance.data import load_labeled

    labels = [x.strip() for x in args.labels.split(",") if x.strip()]
    data = load_labeled(args.path, labels, required=("text", "label", args.group))
    counts = Counter(zip(data.columns[args.group], data.labels))
    groups = list(dict.fromkeys(data.columns[args.group]))
    width = max(len(args.group), *(len(g) for g in groups), len("total"))
    print(f"{args.group:<{width}} " + " ".join(f"{x:>10}" for x in labels) + f" {'total':>7}")
    for group in groups:
        row = [counts[(group, x)] for x in labels]
        print(f"{group:<{width}} " + " ".join(f"{c:>10}" for c in row) + f" {sum(row):>7}")
    totals = [sum(counts[(g, x)] for g in groups) for x in labels]
    print(f"{'total':<{width}} " + " ".join(f"{c:>10}" for c in totals) + f" {sum(totals):>7}")
    return 0


COMMANDS = {"classify": _classify, "evaluate": _evaluate, "analyze": _analyze, "audit": _audit, "suggest": _suggest,
            "info": _info, "data": _data, "export": _export}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    try:
        parser = build_parser()
        # Sentences may follow options ("classify DIR --json TEXT"); argparse leaves those
        # as extras, which only `classify` accepts (an unknown option stays an error).
        args, extras = parser.parse_known_args(argv)
        unknown = [x for x in extras if x.startswith("-") and x != "-"]
        if extras and (args.command != "classify" or unknown):
            parser.error(f"unrecognized arguments: {' '.join(unknown or extras)}")
        if extras:
            args.texts = [*args.texts, *extras]
        return COMMANDS[args.command](args)
    except StanceError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as err:  # noqa: BLE001 - the last line of defence: one line, not a traceback
        if debug:
            raise
        print(f"internal error: {type(err).__name__}: {err} (rerun with --debug for the traceback)", file=sys.stderr)
        return 1
