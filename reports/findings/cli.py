"""`compound findings raise PERIOD [--compound CODE]`: raise a period's findings (each month of a longer one)."""

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from compound.kit.errors import AppError
from compound.kit.i18n import gettext as _

findings_app = typer.Typer(help="Findings and verified savings.", no_args_is_help=True)


def months_of(period):  # type: ignore[no-untyped-def]
    """A period of whole months as its months, oldest first; any other range as itself."""
    from reports.periods import add_months, month

    if period.start.day != 1 or period.end.day != 1:
        return [period]
    out, m = [], period.start
    while m < period.end:
        out.append(month(m))
        m = add_months(m, 1)
    return out


@findings_app.command("raise")
def raise_command(
    period: str = typer.Argument(..., help="2025-03, 2025-Q1, 2025, or 2025-01..2025-06 (each month in turn)."),
    compound: str | None = typer.Option(None, "--compound", help="Code or id of the compound (if there are several)."),
) -> None:
    """Raise the findings of a period (again: nothing is added twice), then work out the savings of done orders."""
    from compound.kit.unit_of_work import session_scope
    from meters.readings.importer import find_compound
    from reports.findings import savings
    from reports.findings.service import Balances, raise_period
    from reports.periods import parse_period

    err, console = Console(stderr=True), Console()
    table = Table(title=_("Findings"))
    for column in (_("Period"), _("Raised"), _("Updated"), _("Left alone")):
        table.add_column(column, justify="left" if column == _("Period") else "right")
    try:
        spans = months_of(parse_period(period))
        with session_scope() as session, Progress(console=console, transient=True) as progress:
            target = find_compound(session, ref=compound)
            balances = Balances(session, target)
            task = progress.add_task(_("Raising findings"), total=len(spans) + 1)
            for span in spans:
                r = raise_period(session, compound=target, period=span, balances=balances)
                table.add_row(span.label, str(len(r.raised)), str(len(r.updated)), str(r.skipped))
                progress.advance(task)
            measured = savings.refresh(session, compound=target, balances=balances)
            progress.advance(task)
    except AppError as exc:
        where = f"{exc.field}: " if exc.field else ""
        err.print(f"{where}{exc.message}", markup=False, highlight=False)
        raise typer.Exit(1) from None
    console.print(table)
    console.print(_("Savings measured: %(n)s done work orders.", n=measured))
