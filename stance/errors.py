"""The one error type users see as a clean message (exit code 2), never a traceback."""


class StanceError(Exception):
    """Bad usage or bad input: the message names the file, row or argument and the problem."""
