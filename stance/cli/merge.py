"""`stance merge SHARD.jsonl... -o OUT.jsonl`: put `classify --shard K/N --json` outputs back together."""

from __future__ import annotations

import argparse
import sys


def add_parser(commands, shared) -> None:
    p = commands.add_parser(
        "merge", parents=[shared], help="merge the JSON-lines outputs of classify --shard into one, by row index"
    )
    p.add_argument("shards", nargs="+", help="shard outputs (classify --json), in any order")
    p.add_argument("--output", "-o", metavar="FILE", help="write to FILE (it appears only when complete); else stdout")


def run(args: argparse.Namespace) -> int:
    from stance.corpus import merge_shards

    rows = merge_shards(args.shards, args.output)
    if args.output is not None:
        print(f"{rows:,} rows of {len(args.shards)} shard file(s) merged into {args.output}", file=sys.stderr)
    return 0
