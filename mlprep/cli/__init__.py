"""The command line: a thin Typer layer that parses options, calls the library, and reports."""
