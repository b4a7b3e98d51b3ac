"""Where the CLI talks to people: stderr only (stdout carries data or --json reports)."""

from __future__ import annotations

import sys
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

_quiet = False


def set_quiet(quiet: bool) -> None:
    global _quiet
    _quiet = quiet


#: Width for tables and trees when the output is a file or a pipe (a terminal uses its own width).
PIPE_WIDTH = 160


@lru_cache(maxsize=1)
def stderr() -> "Console":
    from rich.console import Console

    return Console(stderr=True, highlight=False, width=None if sys.stderr.isatty() else PIPE_WIDTH)


@lru_cache(maxsize=1)
def stdout() -> "Console":
    from rich.console import Console

    return Console(highlight=False, width=None if sys.stdout.isatty() else PIPE_WIDTH)


def info(message: str) -> None:
    """A summary line on stderr, unless --quiet."""
    if not _quiet:
        stderr().print(message, markup=False)


def warn(message: str) -> None:
    """One warning line on stderr (shown even with --quiet: warnings matter)."""
    sys.stderr.write(f"mlprep: warning: {message}\n")


def error(message: str, *, prefix: str = "mlprep") -> None:
    """One error line on stderr."""
    sys.stderr.write(f"{prefix}: error: {message}\n")


def print_json(data: Any) -> None:
    """A machine-readable report on stdout."""
    import json

    sys.stdout.write(json.dumps(data, indent=2, allow_nan=False, ensure_ascii=False, default=str) + "\n")


def render(renderable: Any, *, to_stdout: bool = True) -> None:
    """Print a rich table or tree (reports the user asked for go to stdout)."""
    (stdout() if to_stdout else stderr()).print(renderable)


class activity:
    """A spinner on stderr for work that takes over a second, only on a terminal and not --quiet."""

    DELAY_S = 1.0

    def __init__(self, message: str) -> None:
        self.message = message
        self._status = None
        self._timer = None

    def __enter__(self) -> "activity":
        if sys.stderr.isatty():
            import threading

            self._timer = threading.Timer(self.DELAY_S, self._start)
            self._timer.daemon = True
            self._timer.start()
        return self

    def _start(self) -> None:
        if not _quiet:
            self._status = stderr().status(self.message)
            self._status.start()

    def __exit__(self, *exc: object) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self._status is not None:
            self._status.stop()
