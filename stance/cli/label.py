"""`stance label POOL --out LABELED.csv`: label sentences in the browser, one key each
(or `--audit DATA.csv` to review audit's suspicious labels)."""

from __future__ import annotations

import argparse

from stance.cli.main import non_negative


def add_parser(commands, shared) -> None:
    p = commands.add_parser(
        "label", parents=[shared], help="label sentences in the browser (or review audit's flags), one key each"
    )
    p.add_argument(
        "pool", nargs="?", help="sentences to label: a CSV with a 'text' column (other columns kept), or one a line"
    )
    p.add_argument("--out", "-o", help="LABELED.csv: created if missing; a restart resumes from it")
    p.add_argument("--model", help="a model folder: the most informative sentences first, as suggest orders them")
    p.add_argument("--audit", metavar="DATA.csv", help="review audit's suspicious labels, fixed in place")
    p.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (default 8765; 0 = any free port)")
    p.add_argument("--no-browser", action="store_true", help="only print the URL")
    p.add_argument("--labels", help="comma-separated label set for keys 1, 2, 3... (default: the data config's)")
    p.add_argument(
        "--retrain-every",
        type=non_negative,
        default=25,
        metavar="N",
        help="retrain a TF-IDF model on the labels every N labels and re-rank (default 25; 0 = never)",
    )
    p.add_argument("--diversity", type=float, default=0.5, help="weight against near-duplicates (as in suggest)")
    p.add_argument("--guide", help="annotation guide whose label table is shown (default: docs/annotation.md)")
    p.add_argument("--audit-model", default="ensemble", help="model kind for --audit's out-of-fold probabilities")
    p.add_argument("--group", default="article", help="--audit: column grouping the cross-validation folds")
    p.add_argument("--review-log", help="--audit: JSON-lines log of the decisions (default: DATA.review.jsonl)")


def run(args: argparse.Namespace) -> int:
    from stance.label import run_label

    return run_label(
        args.pool,
        args.out,
        model=args.model,
        audit=args.audit,
        port=args.port,
        open_browser=not args.no_browser,
        labels=args.labels.split(",") if args.labels else None,
        retrain_every=args.retrain_every,
        diversity=args.diversity,
        guide=args.guide,
        audit_model=args.audit_model,
        group=args.group,
        review_log=args.review_log,
    )
