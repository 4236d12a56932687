"""`compound readings ...` (being written)."""

import typer

readings_app = typer.Typer(help="Meter readings: import and template.", no_args_is_help=True)
