"""`compound readings ...`: import a file of readings, write the import template."""

import getpass
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from compound.kit.errors import AppError
from compound.kit.i18n import N_
from compound.kit.i18n import gettext as _

if TYPE_CHECKING:
    from meters.readings.importer import ImportReport

readings_app = typer.Typer(help="Meter readings: import and template.", no_args_is_help=True)

STAGES = {"read": N_("Reading the file"), "check": N_("Checking rows"), "save": N_("Saving")}
# Exit statuses of `readings import`.
ALL_SAVED, NOTHING_SAVED, PARTLY_SAVED = 0, 1, 2


@readings_app.command("import")
def import_command(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="A .csv or .xlsx file."),
    partial: bool = typer.Option(False, "--partial", help="Save the valid rows even when others are refused."),
    compound: str | None = typer.Option(None, "--compound", help="Code or id of the compound (if there are several)."),
    report_file: Path | None = typer.Option(
        None, "--report", help="Also write the report, every row of the file, to this .csv or .xlsx file."
    ),
) -> None:
    """Import readings from a file with columns meter_serial, read_at, value, note.

    All-or-nothing unless --partial (which saves the valid rows and reports the others). Rows identical to a
    reading already saved (the file imported before) are neither saved again nor refused.

    Exit status: 0 no row refused; 2 some saved, others refused (--partial); 1 nothing saved, rows refused.
    """
    from compound.audit.service import Actor, set_actor
    from compound.kit.body_limit import size
    from compound.kit.settings import get_settings
    from compound.kit.unit_of_work import session_scope
    from meters.readings.importer import ImportRefused, find_compound, import_file

    out, err = Console(), Console(stderr=True)
    if file.stat().st_size > (limit := get_settings().max_upload_bytes):  # before reading it into memory
        err.print(f"[red]{_('The file is larger than %(size)s.', size=size(limit))}[/red]")
        raise typer.Exit(NOTHING_SAVED)
    with _ProgressBar(err) as progress:
        try:
            with session_scope() as session:
                set_actor(session, Actor(user_id=None, username=_os_user()))
                target = find_compound(session, ref=compound)
                report = import_file(
                    session,
                    compound=target,
                    data=file.read_bytes(),
                    filename=file.name,
                    partial=partial,
                    progress=progress,
                )
        except ImportRefused as e:
            report = e.report
        except AppError as e:
            err.print(f"[red]{e.message}[/red]")
            raise typer.Exit(NOTHING_SAVED) from None
    _print_report(out, report)
    if report_file:
        _write_report(report_file, report)
    if not report.issues:
        raise typer.Exit(ALL_SAVED)
    raise typer.Exit(PARTLY_SAVED if report.saved else NOTHING_SAVED)


def _os_user() -> str:
    """Who ran the command, for the audit trail."""
    try:
        return f"cli:{getpass.getuser()}"[:64]
    except (OSError, KeyError):  # no login name in some containers
        return "cli"


class _ProgressBar:
    """A rich progress bar per stage, fed by the service's progress callback."""

    def __init__(self, console: Console):
        self.bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self.tasks: dict[str, int] = {}

    def __enter__(self) -> "_ProgressBar":
        self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.stop()

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage not in self.tasks:
            self.tasks[stage] = self.bar.add_task(_(STAGES.get(stage, stage)), total=total)
        self.bar.update(self.tasks[stage], completed=done, total=total)


def _print_report(out: Console, report: "ImportReport") -> None:
    if report.issues:
        table = Table(_("Row"), _("Serial"), _("Code"), _("Message"), title=_("Rows not saved"))
        for i in report.issues:
            table.add_row(str(i.row), i.serial, i.code, i.message)
        out.print(table)
    if not report.partial and report.issues:
        out.print(
            _(
                "All-or-nothing: fix these rows and import the whole file again, or use --partial to save "
                "the valid rows."
            )
        )
    if any(i.needs_confirmation for i in report.issues):
        out.print(_("Rows marked spike need confirming: a file cannot confirm them. Enter them on the round sheet."))
    out.print(report.summary(), highlight=False)


def _write_report(path: Path, report: "ImportReport") -> None:
    """The page's report file: every row's result and problem in words, and its code (see import_report)."""
    from meters.readings import import_report

    path.write_bytes(import_report.as_xlsx(report) if path.suffix.lower() == ".xlsx" else import_report.as_csv(report))


@readings_app.command("template")
def template_command(
    out: Path = typer.Argument(..., dir_okay=False, help="Where to write the template."),
    xlsx: bool = typer.Option(False, "--xlsx", help="An Excel workbook instead of CSV (also chosen by a .xlsx name)."),
) -> None:
    """Write an empty import file: the header row (and, in Excel, a sheet that explains the columns)."""
    from meters.readings.import_format import template_csv, template_xlsx

    as_xlsx = xlsx or out.suffix.lower() == ".xlsx"
    out.write_bytes(template_xlsx() if as_xlsx else template_csv())
    typer.echo(_("Template written to %(path)s", path=str(out)))
