"""`stance classify MODEL_DIR TEXT... | --file FILE`: label sentences with a trained model."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from stance.cli.main import probability
from stance.errors import StanceError


def add_parser(commands, shared) -> None:
    p = commands.add_parser("classify", parents=[shared], help="label sentences with a trained model")
    p.add_argument("model_dir", help="a model folder (e.g. models/tfidf)")
    p.add_argument("texts", nargs="*", help="sentences to classify; '-' reads stdin, one per line")
    p.add_argument(
        "--file", "-f", help="a text file (one sentence a line) or a CSV with a 'text' column; '-' for stdin"
    )
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("--target", help="stance target of the texts, for models trained on several targets")
    p.add_argument(
        "--min-confidence",
        type=probability,
        default=0.0,
        metavar="P",
        help="answer 'uncertain' when the top probability is below P (trade coverage for precision; "
        "each model's report.md has its own coverage table)",
    )
    p.add_argument(
        "--explain",
        action="store_true",
        help="show the n-grams that pushed each sentence to its label (TF-IDF models)",
    )


def run(args: argparse.Namespace) -> int:
    from stance.data.inputs import read_inputs
    from stance.model_folder import read_manifest
    from stance.models import load_model
    from stance.predict import classify, resolve_targets

    if not args.texts and args.file is None:
        raise StanceError("classify: give sentences, '-' for stdin, or --file")
    manifest = read_manifest(args.model_dir)
    if args.explain and manifest["kind"] != "tfidf":
        raise StanceError(
            f"--explain works for linear n-gram models (tfidf); {args.model_dir} is a {manifest['kind']} model"
        )
    if len(args.texts) == 1 and args.texts[0] != "-" and Path(args.texts[0]).is_file():
        print(
            f"note: {args.texts[0]!r} is classified as a sentence; to classify the file's lines, use "
            f"--file {args.texts[0]}",
            file=sys.stderr,
        )
    inputs = read_inputs(args.texts, args.file)
    if not inputs.texts:
        raise StanceError(f"classify: no non-empty text to classify ({len(inputs.skipped_empty)} empty skipped)")
    if inputs.skipped_empty:
        shown = ", ".join(inputs.skipped_empty[:3]) + (", ..." if len(inputs.skipped_empty) > 3 else "")
        print(f"{len(inputs.skipped_empty)} empty text(s) left unlabeled: {shown}", file=sys.stderr)
    model, manifest = load_model(args.model_dir)
    texts = inputs.texts
    predictions = iter(
        classify(
            model, texts, resolve_targets(manifest, args.target, None, len(texts)), args.min_confidence, args.explain
        )
    )
    out = sys.stdout
    if not args.json:
        out.write(f"{'label':<12} {'score':>5}  text\n")
    for text in inputs.rows:  # one output row per input row, empty ones included
        if text is None:
            out.write(
                json.dumps({"text": "", "label": None, "scores": None, "skipped": "empty"}) + "\n"
                if args.json
                else f"{'-':<12} {'':>5}  (empty, not classified)\n"
            )
            continue
        p = next(predictions)
        if args.json:
            record = {"text": p.text, "label": p.label, "scores": p.scores}
            if p.explanation is not None:
                record["explanation"] = p.explanation
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            continue
        shown = " ".join(text.split())
        shown = shown if len(shown) <= 90 else shown[:87] + "..."
        out.write(f"{p.label:<12} {p.confidence:>5.2f}  {shown}\n")
        if p.explanation:
            out.write(" " * 20 + "because of: " + ", ".join(f"'{g}' {w:+.2f}" for g, w in p.explanation) + "\n")
    return 0
