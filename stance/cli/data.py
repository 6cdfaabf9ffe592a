"""`stance data [PATH]`: validate a labeled file and show its label counts."""

from __future__ import annotations

import argparse


def add_parser(commands, shared) -> None:
    p = commands.add_parser("data", parents=[shared], help="validate a labeled data file and show its label counts")
    p.add_argument(
        "paths",
        nargs="*",
        default=["seeds/sentences.csv", "data/authored.csv"],
        help="labeled CSV files (default: the seed sentences and the authored set)",
    )
    p.add_argument(
        "--by",
        default=None,
        help="column to count by (default: article, else source); e.g. --by voice for the authored set",
    )
    p.add_argument("--labels", default="supportive,skeptical,neutral", help="comma-separated label set")


def run(args: argparse.Namespace) -> int:
    from stance.data.io import resolve_path
    from stance.data.labeled import label_counts, load_labeled

    labels = [x.strip() for x in args.labels.split(",") if x.strip()]
    for number, path in enumerate(args.paths):
        data = load_labeled(resolve_path(path), labels)
        column = args.by or next((c for c in ("article", "source") if c in data.columns), None)
        if number:
            print()
        print(f"{path}: {len(data)} sentences")
        counts = label_counts(data, column, labels)
        width = max(len(column or ""), *(len(g) for g in counts), len("total"))
        print(f"{column or '':<{width}} " + " ".join(f"{x:>10}" for x in labels) + f" {'total':>7}")
        for group, row in counts.items():
            print(f"{group:<{width}} " + " ".join(f"{row[x]:>10}" for x in labels) + f" {sum(row.values()):>7}")
    return 0
