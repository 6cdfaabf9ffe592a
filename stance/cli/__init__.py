"""The `stance` command: one module per subcommand, each a thin wrapper over a function that
returns data; `main` owns the parser, the exit codes and `--debug`."""

from stance.cli.main import main

__all__ = ["main"]
