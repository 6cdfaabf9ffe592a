"""`stance audit DATA.csv`: labels the cross-validated models most disagree with."""

from __future__ import annotations

import argparse
import sys

from stance.cli.main import non_negative


def add_parser(commands, shared) -> None:
    p = commands.add_parser(
        "audit", parents=[shared], help="list labels the cross-validated models most disagree with"
    )
    p.add_argument("data", help="labeled CSV (text, label and a group column)")
    p.add_argument("--model", default="ensemble", help="model kind for out-of-fold probabilities (default: ensemble)")
    p.add_argument("--group", default="article", help="column grouping the cross-validation folds")
    p.add_argument("--labels", default="supportive,skeptical,neutral", help="comma-separated label set")
    p.add_argument("--output", "-o", help="write the CSV here (atomically) instead of standard output")
    p.add_argument("--seed", type=non_negative, default=0)


def run(args: argparse.Namespace) -> int:
    from stance.audit import AUDIT_COLUMNS, audit
    from stance.data.io import write_csv

    labels = [x.strip() for x in args.labels.split(",") if x.strip()]
    rows = audit(args.data, labels, model=args.model, group_column=args.group, seed=args.seed)
    write_csv(args.output if args.output else sys.stdout, AUDIT_COLUMNS, [[r[k] for k in AUDIT_COLUMNS] for r in rows])
    print(
        f"{len(rows)} suspicious label(s) of {args.data} (out-of-fold {args.model}, confident learning)",
        file=sys.stderr,
    )
    return 0
