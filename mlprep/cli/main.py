"""The ``mlprep`` entry point: builds the Typer app and translates errors in one place.

Command modules are imported here, but they import polars, scikit-learn and the steps only
inside their command functions, so ``mlprep --help`` and ``mlprep --version`` stay instant.
"""

from __future__ import annotations

import signal
import sys
from typing import Annotated, Optional

import typer

from mlprep import __version__
from mlprep.cli import balance as balance_cli
from mlprep.cli import binning as binning_cli
from mlprep.cli import check as check_cli
from mlprep.cli import console
from mlprep.cli import convert as convert_cli
from mlprep.cli import encode as encode_cli
from mlprep.cli import impute as impute_cli
from mlprep.cli import join as join_cli
from mlprep.cli import lineage as lineage_cli
from mlprep.cli import profile as profile_cli
from mlprep.cli import sample as sample_cli
from mlprep.cli import scale as scale_cli
from mlprep.cli import split as split_cli

EXIT_INTERNAL = 70  # EX_SOFTWARE: a bug in mlprep, not the user's mistake

app = typer.Typer(
    name="mlprep",
    help="Prepare machine-learning datasets without leakage, reproducibly and fast.\n\n"
    "Every command reads Parquet (a file, a folder, a glob, or - for stdin) and writes Parquet "
    "plus a lineage manifest (<output>.lineage.json).\n\n"
    "Example: mlprep convert sample_data/transactions.parquet -o out/raw.parquet",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode="rich",
)


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"mlprep {__version__}\n")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[Optional[bool], typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")] = None,
    no_verify: Annotated[
        bool,
        typer.Option("--no-verify", help="Use inputs without checking their bytes against the sha256 of their sidecar manifest (recorded as verify_inputs=false in every manifest). Give it before the command: mlprep --no-verify impute ..."),
    ] = False,
) -> None:
    """Prepare machine-learning datasets without leakage, reproducibly and fast."""
    if no_verify:
        from mlprep.runner import verify_inputs

        verify_inputs.set(False)


# Registered in pipeline order, which is the order `mlprep --help` lists them in.
convert_cli.register(app)
profile_cli.register(app)
split_cli.register(app)
app.add_typer(sample_cli.app, name="sample")
impute_cli.register(app)
scale_cli.register(app)
binning_cli.register(app)
app.add_typer(encode_cli.app, name="encode")
balance_cli.register(app)
app.add_typer(join_cli.app, name="join")
app.add_typer(check_cli.app, name="check")
app.add_typer(lineage_cli.app, name="lineage")


def _terminate(signum: int, _frame: object) -> None:
    # Turn SIGTERM into an exception so `finally` blocks remove temporary files.
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI and exit with 0 (ok), 1 (a check found problems), 2 (bad input) or 70 (bug)."""
    args = list(sys.argv[1:] if argv is None else argv)
    signal.signal(signal.SIGTERM, _terminate)
    from mlprep.runner import current_command

    current_command.set(["mlprep", *args])
    sys.exit(_run(args))


def _run(args: list[str]) -> int:
    from mlprep.errors import MlprepError
    from mlprep.runner import check_inputs_unmodified, opened_inputs, verify_inputs

    verify_token, opened_token = verify_inputs.set(True), opened_inputs.set([])
    try:
        words = [a for a in args[:3] if not a.startswith("-")][:2]
        with console.activity(f"mlprep {' '.join(words)} …"):
            result = app(args=args, prog_name="mlprep", standalone_mode=False)
            check_inputs_unmodified()  # any input not yet checked (commands that write nothing)
        return result if isinstance(result, int) else 0
    except MlprepError as exc:
        console.error(str(exc))
        return exc.exit_code
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        console.error("interrupted")
        return 130
    except typer.TyperException as exc:  # usage errors found while parsing the command line
        ctx = getattr(exc, "ctx", None)
        command = ctx.command_path if ctx is not None else "mlprep"
        hint = f" (see '{command} --help')" if ctx is not None else ""
        console.error(exc.format_message().replace("\n", " ") + hint, prefix=command)
        return 2
    except KeyboardInterrupt:
        console.error("interrupted")
        return 130
    except BrokenPipeError:  # a report piped into `head`: not an error worth a message
        _silence_stdout()
        return 0
    except Exception as exc:  # noqa: BLE001 - the single place that turns errors into exit codes
        return _unexpected(exc)
    except BaseException as exc:  # polars' PanicException is a BaseException
        if isinstance(exc, SystemExit):
            raise
        return _unexpected(exc)
    finally:
        verify_inputs.reset(verify_token)
        opened_inputs.reset(opened_token)


def _unexpected(exc: BaseException) -> int:
    polars = sys.modules.get("polars")
    if polars is not None and isinstance(exc, polars.exceptions.PolarsError) and not _is_panic(exc):
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        console.error(f"cannot process the data: {text}")
        return 2
    if isinstance(exc, OSError) and exc.filename:
        console.error(f"{exc.strerror or exc}: {exc.filename!r}")
        return 2
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    console.error(
        f"internal error ({type(exc).__name__}: {first}); this is a bug in mlprep {__version__}, "
        "please report it with the command you ran"
    )
    return EXIT_INTERNAL


def _is_panic(exc: BaseException) -> bool:
    return type(exc).__name__ == "PanicException"


def _silence_stdout() -> None:
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except OSError:
        pass
