"""`compound payments methods|ageing|habits|payroll-export|payroll-import|funding-request`."""

import getpass
import json
from datetime import date
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from compound.kit.errors import AppError
from compound.kit.i18n import gettext as _

payments_app = typer.Typer(help="Payments, the ledger, payroll deduction and funding requests.", no_args_is_help=True)
COMPOUND = typer.Option(None, "--compound", help="Code or id of the compound (if there are several).")


def _fail(exc: AppError) -> None:
    where = f"{exc.field}: " if exc.field else ""
    Console(stderr=True).print(f"{where}{exc.message}", markup=False, highlight=False)
    raise typer.Exit(1)


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"[:64]
    except (OSError, KeyError):
        return "cli"


def _month(text: str) -> date:
    from billing.periods import parse_month

    return parse_month(text)


@payments_app.command("methods")
def methods_command(
    add: str | None = typer.Option(None, "--add", help="Add a method with this code."),
    name_zh: str = typer.Option("", "--name-zh", help="Its Chinese name."),
    name_en: str = typer.Option("", "--name-en", help="Its English name."),
) -> None:
    """List the payment methods, or add one (methods are data)."""
    from billing.payments.models import PaymentMethod
    from billing.payments.service import methods
    from compound.kit.unit_of_work import session_scope

    with session_scope() as session:
        if add:
            if session.get(PaymentMethod, add) is not None:
                _fail(AppError(_("That method exists already."), field="add"))
            session.add(PaymentMethod(code=add[:32], name_zh=name_zh or add, name_en=name_en or add, position=100))
            session.flush()
        for m in methods(session, active_only=False):
            Console().print(f"{m.code}\t{m.name_zh}\t{m.name_en}\t{m.kind}", markup=False, highlight=False)


@payments_app.command("ageing")
def ageing_command(
    as_of: str | None = typer.Option(None, "--as-of", help="YYYY-MM-DD; default today."),
    by: str = typer.Option("account", "--by", help="account | building | zone | class | payer"),
    compound: str | None = COMPOUND,
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """The arrears ageing table (0–30, 31–60, 61–90, 91–180, over 180 days past due)."""
    from billing.ledger import BUCKETS, AgeBy, ageing
    from billing.ledger.ageing import totals
    from compound.kit import clock
    from compound.kit.unit_of_work import session_scope
    from meters.readings.importer import find_compound

    try:
        group = AgeBy(by)
        with session_scope() as session:
            target = find_compound(session, ref=compound)
            day = date.fromisoformat(as_of) if as_of else clock.today(target)
            rows = ageing(session, compound=target, as_of=day, by=group)
    except ValueError:
        _fail(AppError(_("Not a date or grouping: %(text)s", text=as_of or by), field="as_of"))
    except AppError as e:
        _fail(e)
    labels = [b for b, _d in BUCKETS]
    if as_json:
        out = [
            {
                "code": r.code,
                "name": r.name,
                "total": str(r.total),
                **dict(zip(labels, map(str, r.buckets), strict=True)),
            }
            for r in rows
        ]
        typer.echo(json.dumps({"as_of": day.isoformat(), "by": group.value, "rows": out}, ensure_ascii=False))
        return
    table = Table(_("Code"), _("Name"), *labels, _("Total"))
    for r in [*rows, totals(rows)]:
        table.add_row(r.code, r.name, *map(str, r.buckets), str(r.total))
    Console().print(table)


@payments_app.command("payroll-export")
def payroll_export(
    month: str = typer.Argument(..., help="The month, e.g. 2026-10."),
    out: Path = typer.Argument(..., help="The .xlsx to write for the payroll office."),
    compound: str | None = COMPOUND,
) -> None:
    """Make (or make again) the month's deduction list and write it as Excel."""
    from billing.payments import payroll
    from compound.kit.export import xlsx_bytes
    from compound.kit.unit_of_work import session_scope
    from meters.readings.importer import find_compound

    try:
        with session_scope() as session:
            target = find_compound(session, ref=compound)
            batch = payroll.make_batch(session, compound=target, month=_month(month))
            rows = payroll.export_rows(session, compound=target, batch=batch)
    except AppError as e:
        _fail(e)
    out.write_bytes(xlsx_bytes(payroll.HEADER, rows, sheet=month))
    Console().print(
        _("Batch %(id)s: %(rows)s households written to %(file)s.", id=batch.id, rows=len(rows), file=str(out))
    )


@payments_app.command("payroll-import")
def payroll_import(
    month: str = typer.Argument(..., help="The month of the list, e.g. 2026-10."),
    file: Path = typer.Argument(..., help="The payroll office's confirmation (.xlsx or .csv)."),
    compound: str | None = COMPOUND,
) -> None:
    """Record one payment per deducted row of the confirmation; a second import records nothing twice."""
    from billing.payments import payroll
    from compound.kit.unit_of_work import session_scope
    from meters.readings.importer import find_compound

    try:
        with session_scope() as session:
            target = find_compound(session, ref=compound)
            batch = payroll.make_batch(session, compound=target, month=_month(month))
            report = payroll.import_confirmation(
                session, compound=target, batch_id=batch.id, data=file.read_bytes(), filename=file.name, by=_actor()
            )
    except AppError as e:
        _fail(e)
    for line in report:
        Console().print(
            f"{line.line}\t{line.account}\t{_(payroll.STATUS_LABELS[line.status])}\t{line.message}\t{line.receipt_no}",
            markup=False,
            highlight=False,
        )
    if any(x.status == "refused" for x in report):
        raise typer.Exit(2)


@payments_app.command("funding-request")
def funding_request(
    month: str = typer.Argument(..., help="The period, e.g. 2026-10."),
    compound: str | None = COMPOUND,
) -> None:
    """Ask the finance bureau for the period's official use (print the letter from the funding page)."""
    from billing.payments import funding
    from compound.kit.unit_of_work import session_scope
    from meters.readings.importer import find_compound

    try:
        with session_scope() as session:
            target = find_compound(session, ref=compound)
            req = funding.request_funding(session, compound=target, month=_month(month), by=_actor())
    except AppError as e:
        _fail(e)
    Console().print(_("Request %(no)s: %(amount)s yuan.", no=req.letter_no, amount=req.amount))
