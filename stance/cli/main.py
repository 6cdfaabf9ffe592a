"""`stance`: classify, merge, evaluate, analyze, suggest, audit, label, info, export, data.

A plain argparse program (Hydra is for experiments). Exit codes: 0 success, 2 bad usage or
bad input (one line on stderr), 1 unexpected internal error (one line; --debug shows the
traceback). Heavy libraries are imported inside the commands that need them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib import import_module

from stance.errors import StanceError

# Subcommand -> module in stance.cli; each module has `add_parser(commands)` and `run(args)`.
COMMANDS = ("classify", "merge", "evaluate", "analyze", "suggest", "audit", "label", "info", "export", "data")


class Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one line and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise StanceError(f"{self.prog}: {message} (see --help)")


def probability(value: str) -> float:
    number = float(value)
    if not 0 <= number <= 1:
        raise argparse.ArgumentTypeError("must be between 0 and 1")
    return number


def non_negative(value: str) -> int:
    number = int(value)
    if number < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return number


def at_least(minimum: int):
    def check(value: str) -> int:
        number = int(value)
        if number < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}")
        return number

    return check


def build_parser() -> argparse.ArgumentParser:
    from stance import __version__

    # --debug is accepted before or after the subcommand: a parent parser shares it.
    shared = argparse.ArgumentParser(add_help=False)
    shared.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    parser = Parser(prog="stance", description=__doc__.split("\n")[0], parents=[shared])
    parser.add_argument("--version", action="version", version=f"stance {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for name in COMMANDS:
        import_module(f"stance.cli.{name}").add_parser(commands, shared)
    return parser


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
        return import_module(f"stance.cli.{args.command}").run(args)
    except StanceError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as err:
        if debug:
            raise
        print(f"internal error: {type(err).__name__}: {err} (rerun with --debug for the traceback)", file=sys.stderr)
        return 1
