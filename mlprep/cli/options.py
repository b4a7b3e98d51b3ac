"""Options shared by every command, defined once so names, help and defaults agree."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

Output = Annotated[str, typer.Option("--output", "-o", help="Output Parquet file, or - for stdout (e.g. -o out.parquet).", metavar="PATH")]
OutDir = Annotated[str, typer.Option("--out-dir", help="Folder for the outputs (created if missing).", metavar="DIR")]
Seed = Annotated[int, typer.Option("--seed", help="Random seed; the same seed gives the same output.")]
Cols = Annotated[
    Optional[list[str]],
    typer.Option("--cols", help="Columns to use: comma-separated and repeatable, shell globs allowed (e.g. --cols 'f*,amount').", metavar="COLS"),
]
TimeCol = Annotated[Optional[str], typer.Option("--time-col", help="The event-time column.", metavar="COL")]
Target = Annotated[Optional[str], typer.Option("--target", help="The label column.", metavar="COL")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Print no summary (warnings and errors still go to stderr).")]
Json = Annotated[bool, typer.Option("--json", help="Print a machine-readable JSON report on stdout.")]
AllowLeakage = Annotated[
    bool,
    typer.Option("--allow-leakage", help="Allow fitting or resampling on a valid/test split (recorded in lineage)."),
]
State = Annotated[
    Optional[str],
    typer.Option("--state", help="Reuse fitted statistics from an mlprep output (Parquet or its .lineage.json) instead of fitting.", metavar="FILE"),
]
