"""`stance suggest MODEL_DIR POOL -n 20`: the unlabeled sentences most worth labeling next."""

from __future__ import annotations

import argparse
import sys

from stance.cli.main import at_least


def add_parser(commands, shared) -> None:
    p = commands.add_parser(
        "suggest", parents=[shared], help="rank unlabeled sentences by how much labeling them should teach the model"
    )
    p.add_argument("model_dir")
    p.add_argument(
        "pool",
        help="unlabeled sentences: a CSV with a 'text' column, or a text file "
        "(one sentence a line; use --split for prose articles)",
    )
    p.add_argument("-n", type=at_least(1), default=20, help="how many to suggest (default 20)")
    p.add_argument(
        "--diversity", type=float, default=0.5, help="weight against near-duplicates (0 = uncertainty only)"
    )
    p.add_argument(
        "--split", action="store_true", help="the pool is prose (articles): split it into sentences as `analyze` does"
    )
    p.add_argument("--output", "-o", help="write the CSV here (atomically) instead of standard output")
    p.add_argument("--target", help="stance target, for models trained on several targets")


def run(args: argparse.Namespace) -> int:
    from stance.data.io import write_csv
    from stance.models import load_model
    from stance.suggest import SUGGEST_COLUMNS, suggest

    model, manifest = load_model(args.model_dir)
    rows, pool_size = suggest(
        model, manifest, args.pool, args.n, diversity=args.diversity, target=args.target, split=args.split
    )
    write_csv(args.output if args.output else sys.stdout, SUGGEST_COLUMNS, rows)
    print(f"{len(rows)} of {pool_size} sentences suggested for labeling (fill the 'label' column)", file=sys.stderr)
    return 0
