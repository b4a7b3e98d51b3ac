"""The one error family of mlprep.

Every error a user can cause is an :class:`MlprepError`; the CLI turns it into one line on
stderr and exit code 2. Messages say what is wrong, where (file, column, option), and how to
fix it. Anything that is not an ``MlprepError`` is a bug and is reported as one.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class MlprepError(Exception):
    """A problem with the user's input or options (exit code 2)."""

    exit_code = 2


class UsageError(MlprepError):
    """Options that are invalid or do not go together."""


class InputError(MlprepError):
    """An input file that cannot be read or does not hold what the step needs."""


class ColumnNotFoundError(InputError):
    """A named column does not exist in an input."""


class OutputError(MlprepError):
    """An output that cannot or must not be written."""


class LeakageError(MlprepError):
    """A step would fit statistics or resample on a validation or test split."""


class StateError(MlprepError):
    """Stored fitted state that does not match the data it is applied to."""


class ManifestError(InputError):
    """A lineage manifest that is missing, malformed or not an mlprep manifest."""


def nearest_name(name: str, candidates: Iterable[str]) -> str | None:
    """Return the candidate closest to ``name``, or None when nothing is close."""
    matches = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None


def missing_column(column: str, available: Iterable[str], *, where: str, option: str | None = None) -> ColumnNotFoundError:
    """Build the error for a column that ``where`` does not have, with the nearest name."""
    available = list(available)
    hint = nearest_name(column, available)
    via = f" (from {option})" if option else ""
    shown = ", ".join(repr(c) for c in available[:20]) + (", …" if len(available) > 20 else "")
    suggestion = f"; did you mean {hint!r}?" if hint else ""
    return ColumnNotFoundError(
        f"column {column!r}{via} not found in {where}{suggestion} Available columns: {shown}"
    )
