"""`stance classify MODEL_DIR TEXT... | --file FILE`: label sentences with a trained model.

The input is streamed (stance.corpus): a corpus of any size runs in flat memory, one shard
of it with `--shard K/N`, into a file that appears only when complete with `--output`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from stance.cli.main import probability
from stance.errors import StanceError

# An --output with one of these suffixes gets JSON lines even without --json: a table in a
# .jsonl file is never what was meant, and `stance merge` reads JSON lines.
JSON_SUFFIXES = (".jsonl", ".ndjson")


def add_parser(commands, shared) -> None:
    p = commands.add_parser("classify", parents=[shared], help="label sentences with a trained model")
    p.add_argument("model_dir", help="a model folder (e.g. models/tfidf)")
    p.add_argument("texts", nargs="*", help="sentences to classify; '-' reads stdin, one per line")
    p.add_argument(
        "--file",
        "-f",
        help="a text file (one sentence a line), a CSV with a 'text' column or JSON lines with a 'text' field "
        "(.jsonl); '-' for stdin. Read as a stream: any size",
    )
    p.add_argument(
        "--text-field", metavar="NAME", help="the CSV column or JSON field holding the text (default: text)"
    )
    p.add_argument(
        "--format",
        choices=("txt", "csv", "jsonl"),
        dest="input_format",
        help="the --file format when its suffix does not say (e.g. --file - for stdin)",
    )
    p.add_argument("--json", action="store_true", help="one JSON object per line, with 'index', the input row")
    p.add_argument(
        "--output",
        "-o",
        metavar="FILE",
        help="write to FILE instead of stdout; it appears only when complete (.jsonl: JSON lines)",
    )
    p.add_argument(
        "--shard",
        metavar="K/N",
        help="classify only part K of N (K from 0): the rows whose index is K modulo N; "
        "merge the parts' --json outputs with `stance merge`",
    )
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
    p.add_argument("--no-progress", action="store_true", help="no progress bar (shown on stderr at a terminal)")


def run(args: argparse.Namespace) -> int:
    from stance.corpus import Shard, classify_corpus

    if not args.texts and args.file is None:
        raise StanceError("classify: give sentences, '-' for stdin, or --file")
    shard = Shard.parse(args.shard) if args.shard is not None else None
    if len(args.texts) == 1 and args.texts[0] != "-" and Path(args.texts[0]).is_file():
        print(
            f"note: {args.texts[0]!r} is classified as a sentence; to classify the file's lines, use "
            f"--file {args.texts[0]}",
            file=sys.stderr,
        )
    as_json = args.json or (args.output is not None and Path(args.output).suffix.lower() in JSON_SUFFIXES)
    summary = classify_corpus(
        args.model_dir,
        args.texts,
        args.file,
        output=args.output,
        as_json=as_json,
        shard=shard,
        text_field=args.text_field,
        input_format=args.input_format,
        target=args.target,
        min_confidence=args.min_confidence,
        explain=args.explain,
        progress=False if args.no_progress else None,
    )
    note = summary.empty_note()
    if note:
        print(note, file=sys.stderr)
    if args.output is not None:
        part = f" (shard {shard}: {summary.written:,} of {summary.rows:,} rows)" if shard else ""
        print(
            f"{summary.classified:,} classified, {summary.empty:,} empty{part} in {summary.timing()}; "
            f"written to {args.output}",
            file=sys.stderr,
        )
    return 0
