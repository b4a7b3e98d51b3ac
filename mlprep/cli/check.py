"""``mlprep check``: checks that exit 1 when they find problems."""
from __future__ import annotations

import typer

app = typer.Typer(help="Check datasets for leakage and drift; exit 1 when a check finds a problem.", no_args_is_help=True)
