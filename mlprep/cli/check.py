"""``mlprep check …``: checks that gate a pipeline (exit 1 when they find a problem)."""

from __future__ import annotations

import typer

from mlprep.cli import check_drift

app = typer.Typer(help="Check datasets for problems: exit 0 when clean, 1 when a check finds one, 2 on bad input.", no_args_is_help=True)

check_drift.register(app)
