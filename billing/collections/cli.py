"""`compound collections run --as-of DATE [--compound CODE]`: the collection run by hand, recorded as a job run."""

from datetime import date

import sqlalchemy as sa
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from billing.collections.jobs import COLLECTION_RUN
from compound.jobs import runner
from compound.jobs.models import Outcome
from compound.kit.db import get_engine
from compound.kit.errors import AppError
from compound.kit.i18n import gettext as _
from compound.register.models import Compound

collections_app = typer.Typer(help="Collections: chasing unpaid bills.", no_args_is_help=True)


def _compound_ids(code: str | None) -> list[int] | None:
    if code is None:
        return None
    c = Compound.__table__.c
    with get_engine().connect() as conn:
        found = conn.execute(sa.select(c.id).where(c.code == code)).scalar_one_or_none()
    if found is None:
        typer.secho(_("There is no compound %(code)s.", code=code), fg="red", err=True)
        raise typer.Exit(1)
    return [found]


@collections_app.command("run")
def run_command(
    as_of: str | None = typer.Option(None, "--as-of", metavar="YYYY-MM-DD", help="The date to run for; default today."),
    compound: str | None = typer.Option(None, "--compound", help="Code of the compound; default every compound."),
) -> None:
    """Compute every payer's level as of the date and make the actions that are due (recorded on /jobs).

    Safe to repeat: an action is never made twice. Exit status 1 if a compound's run failed.
    """
    try:
        day = date.fromisoformat(as_of) if as_of else None
    except ValueError:
        typer.secho(_("--as-of must be a date, YYYY-MM-DD."), fg="red", err=True)
        raise typer.Exit(2) from None
    ids = _compound_ids(compound)
    err = Console(stderr=True)
    try:
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=err, transient=True) as bar:
            task = bar.add_task(_("Collection run"), total=None)
            runs = runner.run_now(get_engine(), COLLECTION_RUN, as_of=day, compound_ids=ids,
                                  progress=lambda done, total: bar.update(task, completed=done, total=total))
    except AppError as exc:
        typer.secho(exc.message, fg="red", err=True)
        raise typer.Exit(1) from None
    for run in runs:
        counts = ", ".join(f"{k} {v}" for k, v in (run.counts or {}).items())
        typer.echo(_("Compound %(id)s, %(day)s: %(outcome)s. %(counts)s", id=run.compound_id, day=run.as_of,
                     outcome=run.outcome, counts=counts))
        if run.error:
            typer.secho(run.error.strip().splitlines()[-1], fg="red", err=True)
    raise typer.Exit(0 if all(r.outcome == Outcome.ok for r in runs) else 1)
