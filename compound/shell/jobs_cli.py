"""`compound scheduler` and `compound jobs list | run NAME`: the scheduled jobs, by the clock or by hand."""

import logging
from datetime import date

import sqlalchemy as sa
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlmodel import Session

from compound.jobs import registry, runner, service
from compound.jobs.labels import outcome_label, trigger_label
from compound.jobs.models import Outcome
from compound.kit.db import get_engine
from compound.kit.errors import AppError
from compound.kit.i18n import gettext as _
from compound.kit.settings import get_settings
from compound.register.models import Compound

jobs_app = typer.Typer(help="Scheduled jobs: list them, run one by hand.", no_args_is_help=True)


def compound_ids(codes: list[str] | None) -> list[int] | None:
    """Compound codes (or ids) → ids; an unknown one stops the command."""
    if not codes:
        return None
    c = Compound.__table__.c
    found = []
    with get_engine().connect() as conn:
        for code in codes:
            q = sa.select(c.id).where(sa.or_(c.code == code, c.id == (int(code) if code.isdigit() else -1)))
            cid = conn.execute(q).scalar_one_or_none()
            if cid is None:
                typer.secho(_("There is no compound %(code)s.", code=code), fg="red", err=True)
                raise typer.Exit(1)
            found.append(cid)
    return found


def scheduler(
    compound: list[str] | None = typer.Option(None, "--compound", help="Only these compounds (code); default all."),
) -> None:
    """Run the scheduled jobs daily, in a process of its own (never inside the web workers)."""
    from compound.shell import migrate, packages
    from compound.shell.scheduler import Scheduler

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    migrate.upgrade()
    packages.contributions()
    Scheduler(registry.all_jobs(), compound_ids=compound_ids(compound)).start()


@jobs_app.command("list")
def list_jobs() -> None:
    """The jobs the packages contribute, their daily time and their last run."""
    from compound.shell import packages

    packages.contributions()
    with Session(get_engine()) as session:
        last = service.last_runs(session, filter=service.RunFilter(frozenset(), everything=True))
    table = Table(_("Job"), _("Daily at"), _("Function"), _("Last run"))
    for job in registry.all_jobs():
        r = last.get(job.name)
        seen = "-"
        if r:
            seen = f"{outcome_label(r.outcome)} {r.started_at:%Y-%m-%d %H:%M} UTC ({trigger_label(r.trigger)})"
        table.add_row(job.name, job.daily_at or get_settings().scheduler_daily_at, job.path, seen)
    Console().print(table)


@jobs_app.command("run")
def run_job(
    name: str = typer.Argument(..., help="The job's name (compound jobs list)."),
    as_of: str | None = typer.Option(None, "--as-of", metavar="YYYY-MM-DD", help="The date to run for; default today."),
    compound: list[str] | None = typer.Option(None, "--compound", help="Only these compounds (code); default all."),
) -> None:
    """Run a job now, recorded as a run by hand. Exit status 1 if any compound's run failed."""
    from compound.shell import packages

    packages.contributions()
    try:
        day = date.fromisoformat(as_of) if as_of else None
    except ValueError:
        typer.secho(_("--as-of must be a date, YYYY-MM-DD."), fg="red", err=True)
        raise typer.Exit(2) from None
    raise typer.Exit(run_with_progress(name, as_of=day, compound_ids=compound_ids(compound)))


def run_with_progress(name: str, *, as_of: date | None, compound_ids: list[int] | None) -> int:
    """Run the job by hand with a progress bar; print each compound's outcome. The exit status."""
    err = Console(stderr=True)
    try:
        job = registry.get(name)
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=err, transient=True) as bar:
            task = bar.add_task(name, total=None)
            runs = runner.run_now(get_engine(), job, as_of=as_of, compound_ids=compound_ids,
                                  progress=lambda done, total: bar.update(task, completed=done, total=total))
    except AppError as exc:
        typer.secho(exc.message, fg="red", err=True)
        return 1
    for run in runs:
        counts = ", ".join(f"{k} {v}" for k, v in (run.counts or {}).items())
        typer.echo(f"{run.job} #{run.id} compound {run.compound_id} {run.as_of}: {outcome_label(run.outcome)} {counts}")
        if run.error:
            typer.secho(run.error.strip().splitlines()[-1], fg="red", err=True)
    return 0 if all(r.outcome == Outcome.ok for r in runs) else 1
