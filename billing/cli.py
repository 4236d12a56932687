"""`compound bills run|issue|close|show` and `compound tariffs load|list`."""

import getpass
import json
from pathlib import Path

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from compound.kit.errors import AppError
from compound.kit.i18n import N_
from compound.kit.i18n import gettext as _

bills_app = typer.Typer(help="The monthly bill run: draft, issue, close, show.", no_args_is_help=True)
tariffs_app = typer.Typer(help="Tariffs: load a price notice from JSON, list them.", no_args_is_help=True)

STAGES = {
    "meters": N_("Finding the billing meters"),
    "last": N_("Finding the last billed readings"),
    "start": N_("Finding where each bill starts"),
    "window": N_("Reading the period's readings"),
    "corrections": N_("Correcting superseded estimates"),
    "usage": N_("Working out each meter's use"),
    "bills": N_("Making the bills"),
    "tariffs": N_("Splitting by tariff version"),
    "blocks": N_("Pricing the blocks"),
    "charges": N_("Fixed charges"),
    "saving": N_("Saving bills and lines"),
    "exceptions": N_("Listing exceptions"),
}


def _fail(exc: AppError) -> None:
    where = f"{exc.field}: " if exc.field else ""
    Console(stderr=True).print(f"{where}{exc.message}", markup=False, highlight=False)
    raise typer.Exit(1)


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"[:64]
    except (OSError, KeyError):
        return "cli"


class _Bar:
    """One rich progress bar over the run's steps, labelled with the current stage."""

    def __init__(self) -> None:
        self.bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self.task = None

    def __enter__(self) -> "_Bar":
        self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.stop()

    def __call__(self, stage: str, done: int, total: int) -> None:
        label = _(STAGES.get(stage, stage))
        if self.task is None:
            self.task = self.bar.add_task(label, total=total)
        self.bar.update(self.task, completed=done, total=total, description=label)


@bills_app.command("run")
def run_command(
    period: str = typer.Argument(..., help="The month, e.g. 2026-10."),
    compound: str | None = typer.Option(None, "--compound", help="Code or id of the compound (if there are several)."),
    issue: bool = typer.Option(False, "--issue", help="Issue the bills once the draft is made."),
    cutoff_day: int | None = typer.Option(
        None, "--cutoff-day", min=1, max=31, help="Readings up to the end of this day of the month count."
    ),
) -> None:
    """Run the period's draft (again): one bill per account and utility; --issue issues it too."""
    from billing.periods import parse_month
    from billing.run import issue_period, run_draft
    from compound.kit.unit_of_work import session_scope
    from meters.readings.importer import find_compound

    out = Console()
    try:
        with _Bar() as bar, session_scope() as session:
            target = find_compound(session, ref=compound)
            month = parse_month(period)
            result = run_draft(session, compound=target, month=month, cutoff_day=cutoff_day, progress=bar)
            if issue:
                result = issue_period(session, compound=target, month=month)
    except AppError as e:
        _fail(e)
    state = _("issued") if issue else _("draft")
    out.print(
        _(
            "%(period)s: %(bills)s bills (%(state)s), %(amount)s yuan, %(exceptions)s exceptions to review.",
            period=period,
            bills=result.bills,
            state=state,
            amount=result.amount,
            exceptions=result.exceptions,
        )
    )


@bills_app.command("issue")
def issue_command(
    period: str = typer.Argument(..., help="The month, e.g. 2026-10."),
    compound: str | None = typer.Option(None, "--compound", help="Code or id of the compound."),
) -> None:
    """Issue the period's draft bills: from then on they never change."""
    from billing.periods import parse_month
    from billing.run import issue_period
    from compound.kit.unit_of_work import session_scope
    from meters.readings.importer import find_compound

    try:
        with session_scope() as session:
            result = issue_period(session, compound=find_compound(session, ref=compound), month=parse_month(period))
    except AppError as e:
        _fail(e)
    Console().print(
        _(
            "%(period)s: %(bills)s bills issued, %(amount)s yuan.",
            period=period,
            bills=result.bills,
            amount=result.amount,
        )
    )


@bills_app.command("close")
def close_command(
    period: str = typer.Argument(..., help="The month, e.g. 2026-10."),
    compound: str | None = typer.Option(None, "--compound", help="Code or id of the compound."),
) -> None:
    """Close an issued period: nothing in it changes any more."""
    from billing.periods import parse_month
    from billing.run import close_period
    from compound.kit.unit_of_work import session_scope
    from meters.readings.importer import find_compound

    try:
        with session_scope() as session:
            close_period(session, compound=find_compound(session, ref=compound), month=parse_month(period))
    except AppError as e:
        _fail(e)
    Console().print(_("%(period)s is closed.", period=period))


@bills_app.command("show")
def show_command(
    period: str = typer.Argument(..., help="The month, e.g. 2026-10."),
    compound: str | None = typer.Option(None, "--compound", help="Code or id of the compound."),
    as_json: bool = typer.Option(False, "--json", help="Every bill with its lines, as JSON."),
) -> None:
    """The period's bills: a summary, or every bill and line as JSON (--json)."""
    from billing.bills import bills_of_period
    from billing.periods import parse_month
    from compound.kit.unit_of_work import session_scope
    from meters.readings.importer import find_compound

    try:
        with session_scope() as session:
            bills = bills_of_period(
                session, compound_id=find_compound(session, ref=compound).id, month=parse_month(period)
            )
    except AppError as e:
        _fail(e)
    if as_json:
        typer.echo(json.dumps(bills, ensure_ascii=False, indent=1))
        return
    out = Console()
    for b in bills:
        out.print(
            f"{b['account_code']}\t{b['payer_code']}\t{b['utility']}\t{b['status']}\t{b['quantity']}\t{b['amount']}",
            markup=False,
            highlight=False,
        )


@tariffs_app.command("load")
def load_command(
    file: Path = typer.Argument(
        ...,
        exists=True,
        dir_okay=False,
        readable=True,
        help='JSON: one tariff (the API\'s body) or {"tariffs": [...]}.',
    ),
    compound: str | None = typer.Option(None, "--compound", help="Code or id of the compound."),
) -> None:
    """Load a price notice typed once as JSON: every version in the file, or none."""
    from billing.tariff_schemas import TariffFile, TariffIn
    from billing.tariffs import save_tariff
    from compound.audit.service import Actor, set_actor
    from compound.kit.unit_of_work import session_scope
    from meters.readings.importer import find_compound

    err = Console(stderr=True)
    try:
        body = json.loads(file.read_text(encoding="utf-8"))
        tariffs = (
            TariffFile.model_validate(body).tariffs
            if isinstance(body, dict) and "tariffs" in body
            else [TariffIn.model_validate(body)]
        )
    except (ValueError, ValidationError) as e:
        for line in _validation_lines(e):
            err.print(line, markup=False, highlight=False)
        raise typer.Exit(1) from None
    try:
        with session_scope() as session:
            set_actor(session, Actor(user_id=None, username=_actor()))
            target = find_compound(session, ref=compound)
            for t in tariffs:
                save_tariff(session, compound_id=target.id, data=t)
    except AppError as e:
        _fail(e)
    Console().print(_("%(count)s tariff versions loaded.", count=len(tariffs)))


def _validation_lines(e: Exception) -> list[str]:
    if isinstance(e, ValidationError):
        return [f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in e.errors()]
    return [_("The file is not valid JSON: %(reason)s", reason=str(e))]


@tariffs_app.command("list")
def list_command(
    compound: str | None = typer.Option(None, "--compound", help="Code or id of the compound."),
) -> None:
    """Every tariff version, as JSON (the API's shape)."""
    from billing.tariffs import list_tariffs
    from compound.kit.unit_of_work import session_scope
    from meters.readings.importer import find_compound

    try:
        with session_scope() as session:
            found = list_tariffs(session, compound_id=find_compound(session, ref=compound).id)
    except AppError as e:
        _fail(e)
    typer.echo(json.dumps([t.model_dump(mode="json", by_alias=True) for t in found], ensure_ascii=False, indent=1))
