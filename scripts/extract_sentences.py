"""Print the sentences of new articles as a CSV ready to label.

    python scripts/extract_sentences.py ARTICLE.txt [...] > new.csv

Sentences already in the data set (--data, default seeds/sentences.csv) keep their label.
"""

import argparse
import sys

from stance.data.articles import extract
from stance.data.io import resolve_path
from stance.errors import StanceError


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("articles", nargs="+", help="article text files (UTF-8, one paragraph a line)")
    parser.add_argument(
        "--data", default="seeds/sentences.csv", help="labeled data whose labels to keep ('' for none)"
    )
    parser.add_argument("--target", default="china-mediator", help="target slug for new rows")
    args = parser.parse_args()
    try:
        kept = extract(args.articles, resolve_path(args.data) if args.data else None, args.target)
    except StanceError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"{kept} sentence(s) kept their existing label", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
