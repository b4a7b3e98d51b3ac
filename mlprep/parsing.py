"""Parsing of option values shared by every command: lists, durations, key=value pairs."""

from __future__ import annotations

import datetime as dt
import fnmatch
import re
from collections.abc import Iterable, Sequence

from mlprep.errors import UsageError, missing_column

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(us|ms|s|m|h|d|w)\s*$")
_UNIT_SECONDS = {"us": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def split_list(values: str | Sequence[str] | None) -> list[str]:
    """Flatten repeatable, comma-separated option values: ``["a,b", "c"]`` → ``["a", "b", "c"]``."""
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def parse_duration(text: str, *, option: str = "--gap") -> dt.timedelta:
    """Parse ``30m``, ``12h``, ``7d``, ``2w``, ``500ms`` into a timedelta."""
    match = _DURATION.match(text)
    if not match:
        raise UsageError(f"{option} {text!r} is not a duration; write a number and a unit: us, ms, s, m, h, d or w (e.g. 30m, 12h, 7d)")
    return dt.timedelta(seconds=float(match.group(1)) * _UNIT_SECONDS[match.group(2)])


def parse_floats(text: str, *, option: str) -> list[float]:
    """Parse ``0.7,0.15,0.15`` into floats, naming the option on error."""
    try:
        return [float(x) for x in split_list(text)]
    except ValueError as exc:
        raise UsageError(f"{option} {text!r} must be comma-separated numbers, e.g. 0.7,0.15,0.15") from exc


def parse_pairs(values: Iterable[str], *, option: str) -> dict[str, str]:
    """Parse repeatable ``key=value`` options into a dict."""
    out: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"{option} {item!r} must look like column=value")
        out[key.strip()] = value.strip()
    return out


def select_columns(patterns: Sequence[str], available: Sequence[str], *, where: str, option: str = "--cols") -> list[str]:
    """Expand names and shell-style globs (``f*``) against the available columns, in input order.

    A plain name that does not exist is an error naming the nearest column; a glob that matches
    nothing is an error too.
    """
    chosen: list[str] = []
    for pattern in patterns:
        if any(ch in pattern for ch in "*?["):
            matches = [c for c in available if fnmatch.fnmatchcase(c, pattern)]
            if not matches:
                raise UsageError(f"{option} pattern {pattern!r} matches no column of {where}")
        elif pattern in available:
            matches = [pattern]
        else:
            raise missing_column(pattern, available, where=where, option=option)
        chosen.extend(m for m in matches if m not in chosen)
    return chosen
