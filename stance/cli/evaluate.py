"""`stance evaluate MODEL_DIR DATA.csv`: score a model on labeled data, with intervals."""

from __future__ import annotations

import argparse
import json
import sys

from stance.cli.main import at_least, non_negative


def add_parser(commands, shared) -> None:
    p = commands.add_parser("evaluate", parents=[shared], help="score a model on a labeled CSV (columns text, label)")
    p.add_argument("model_dir")
    p.add_argument("data", help="CSV with 'text' and 'label' columns; others are ignored")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--target", help="stance target of every row (multi-target models; else a 'target' column is used)")
    p.add_argument("--n-bootstrap", type=at_least(2), default=1000, help="bootstrap resamples for the intervals")
    p.add_argument("--seed", type=non_negative, default=0, help="seed of the bootstrap")


def run(args: argparse.Namespace) -> int:
    from stance.models import load_model
    from stance.predict import evaluate_file
    from stance.reports.format import fmt, metrics_tables, with_interval

    model, manifest = load_model(args.model_dir)
    evaluation = evaluate_file(args.model_dir, model, manifest, args.data, args.target, args.n_bootstrap, args.seed)
    if evaluation.trained_on:
        print(
            f"warning: {evaluation.trained_on} of {evaluation.n} rows of {args.data} are sentences this model was "
            "trained on: their scores are not held-out and overstate how it does on new text",
            file=sys.stderr,
        )
    if args.json:
        print(json.dumps(evaluation.to_dict()))
        return 0
    print(f"{args.data}: {evaluation.n} sentences, model {args.model_dir} ({manifest['kind']})")
    print(
        f"macro-F1 {with_interval(evaluation, 'macro_f1')}   F_avg {with_interval(evaluation, 'f_avg')}   "
        f"accuracy {fmt(evaluation.accuracy)}   (95% bootstrap intervals)"
    )
    print()
    print("\n".join(metrics_tables(evaluation)))
    return 0
