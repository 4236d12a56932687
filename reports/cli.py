"""`compound reconcile PERIOD --utility U [--compound CODE] [--json]` and `compound balance U --from FILE.json`."""

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from compound.kit.errors import AppError, InvalidInput
from compound.kit.i18n import N_
from compound.kit.i18n import gettext as _

# One command each, hung on the shell as a group (`compound NAME ...`): the options may follow the argument.
_ONE_COMMAND = {"allow_interspersed_args": True}
reconcile_app = typer.Typer(
    help="The volume balance of a period.", invoke_without_command=True, context_settings=_ONE_COMMAND
)
balance_app = typer.Typer(
    help="A quick balance from totals.", invoke_without_command=True, context_settings=_ONE_COMMAND
)

UTILITIES = ("water", "electricity")
FIGURE_LABELS = {
    "system_input": N_("System input"),
    "billed_metered": N_("Billed metered"),
    "billed_unmetered": N_("Billed unmetered"),
    "unbilled_metered": N_("Unbilled metered"),
    "unbilled_unmetered": N_("Unbilled unmetered"),
    "apparent_losses": N_("Apparent losses"),
    "real_losses": N_("Real losses"),
    "non_revenue": N_("Non-revenue"),
}


def _utility(value: str) -> str:
    if value not in UTILITIES:
        raise InvalidInput(_("The utility is water or electricity, not “%(text)s”.", text=value), field="utility")
    return value


def _fail(err: Console, exc: AppError) -> None:
    where = f"{exc.field}: " if exc.field else ""
    err.print(f"{where}{exc.message}", markup=False, highlight=False)
    raise typer.Exit(1)


def _plain(value: Any) -> Any:
    """Decimals as strings, everything else as JSON knows it."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def dumps(data: Any) -> str:
    return json.dumps(_plain(data), ensure_ascii=False, indent=2)


@reconcile_app.callback(invoke_without_command=True)
def reconcile(
    period: str = typer.Argument(..., help="2025-03, 2025-Q1, 2025, or 2025-01-15..2025-02-14."),
    utility: str = typer.Option(..., "--utility", help="water or electricity."),
    compound: str | None = typer.Option(None, "--compound", help="Code or id of the compound (if there are several)."),
    as_json: bool = typer.Option(False, "--json", help="Print the balance as JSON (volumes as decimal strings)."),
    details: bool = typer.Option(False, "--details", help="With --json: every figure, the alignment, the bills."),
) -> None:
    """The balance of one utility over a period: where the water or the power went."""
    from compound.kit.unit_of_work import session_scope
    from meters.models import Utility
    from meters.readings.importer import find_compound
    from reports.balance.output import reconcile_json
    from reports.balance.service import period_balance
    from reports.money.output import money_json
    from reports.money.service import period_money
    from reports.periods import parse_period

    err = Console(stderr=True)
    try:
        chosen = Utility(_utility(utility))
        span = parse_period(period)
        with session_scope() as session:
            target = find_compound(session, ref=compound)
            balance = period_balance(session, compound=target, utility=chosen, period=span)
            out = reconcile_json(balance, details=details or not as_json)
            money = period_money(session, compound=target, utility=chosen, period=span, balance=balance)
            out["money"] = money_json(money)
    except AppError as exc:
        _fail(err, exc)
    if as_json:
        typer.echo(dumps(out))
        return
    _print_balance(Console(), out)


def _print_balance(console: Console, out: dict[str, Any]) -> None:
    estimated = set(out["estimated"])
    table = Table(title=_("%(utility)s balance, %(period)s", utility=_(out["utility"]), period=out["period"]))
    table.add_column(_("Figure"))
    table.add_column(_("Volume"), justify="right")
    table.add_column("")
    for key, label in FIGURE_LABELS.items():
        table.add_row(_(label), out[key], _("estimated") if key in estimated else _("measured"))
    console.print(table)
    zones = Table(title=_("Check meters and zones, lossiest first"))
    for column in (_("Code"), _("Input"), _("Children"), _("Loss"), ""):
        zones.add_column(column, justify="left" if column == _("Code") else "right")
    for z in out["zones"]:
        zones.add_row(z["code"], z["input"], z["children"], z["loss"], _("estimated") if z["estimated"] else "")
    console.print(zones)
    for w in out["details"]["warnings"]:
        console.print(f"! {w['message']}", markup=False, highlight=False)
    _print_money(console, out["money"])


def _print_money(console: Console, money: dict[str, Any]) -> None:
    from reports.money.labels import cause_label, total_label

    table = Table(title=_("From the utility's charges to what was collected (yuan)"))
    table.add_column(_("Figure"))
    table.add_column(_("Yuan"), justify="right")
    table.add_column("")
    table.add_row(total_label("utility_charges"), money["utility_charges"],
                  _("estimated") if money["charges_estimated"] else _("measured"))  # fmt: skip
    for cause in money["causes"]:
        if cause["code"] == "unpaid_units":
            table.add_row(total_label("billed"), money["billed"], "")
        table.add_row(f"− {cause_label(cause['code'])}", cause["amount"],
                      _("estimated") if cause["estimated"] else _("measured"))  # fmt: skip
    table.add_row(total_label("collected"), money["collected"], "")
    table.add_row(total_label("collected_arrears"), money["collected_arrears"], "")
    console.print(table)
    for w in money["warnings"]:
        console.print(f"! {w['message']}", markup=False, highlight=False)


@balance_app.callback(invoke_without_command=True)
def balance(
    utility: str = typer.Argument(..., help="water or electricity."),
    from_file: Path = typer.Option(
        ..., "--from", exists=True, dir_okay=False, readable=True, help="The totals (JSON)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """The balance from totals typed in: for the utility's annual audit or a what-if."""
    err = Console(stderr=True)
    try:
        out = quick(_utility(utility), from_file.read_text(encoding="utf-8"))
    except AppError as exc:
        _fail(err, exc)
    if as_json:
        typer.echo(dumps(out))
        return
    table = Table(title=_("Quick balance"))
    table.add_column(_("Figure"))
    table.add_column(_("Value"), justify="right")
    for key, value in out.items():
        if not isinstance(value, list | dict):
            table.add_row(key, "" if value is None else str(value))
    Console().print(table)


def quick(utility: str, text: str) -> dict[str, Any]:
    """Parse the JSON and run the quick balance; a refusal is InvalidInput naming the key, translated."""
    from reports.quick_balance import TotalsError, electricity_from_totals, say, water_from_totals

    try:
        data = json.loads(text, parse_float=Decimal)
    except ValueError as exc:
        raise InvalidInput(_("The file is not JSON: %(problem)s", problem=str(exc)), field="from") from None
    try:
        return (water_from_totals if utility == "water" else electricity_from_totals)(data)
    except TotalsError as exc:
        raise InvalidInput(say(exc.phrase, _), field=exc.key) from None


report_app = typer.Typer(
    help="The printable monthly report for the leadership.", invoke_without_command=True, context_settings=_ONE_COMMAND
)
LANGS = {"zh": "zh_Hans", "zh_Hans": "zh_Hans", "en": "en"}


@report_app.callback(invoke_without_command=True)
def report(
    period: str = typer.Argument(..., help="The month: 2025-03."),
    out: Path = typer.Option(..., "--out", dir_okay=False, help="The HTML file to write (prints on A4)."),
    compound: str | None = typer.Option(None, "--compound", help="Code or id of the compound (if there are several)."),
    lang: str = typer.Option("zh", "--lang", help="zh (the default) or en."),
) -> None:
    """The month's summary and charts in one print-ready HTML file: water loss, the largest causes, arrears."""
    from compound.kit import i18n
    from compound.kit.unit_of_work import session_scope
    from meters.readings.importer import find_compound
    from reports.money.report import report_html
    from reports.periods import parse_period

    err = Console(stderr=True)
    try:
        if lang not in LANGS:
            raise InvalidInput(_("The language is zh or en, not “%(text)s”.", text=lang), field="lang")
        span = parse_period(period)
        if not span.is_month:
            raise InvalidInput(_("The report is of one month (2025-03)."), field="period")
        i18n.set_locale(LANGS[lang])
        with Progress(console=err, transient=True) as progress:
            progress.add_task(_("Working out the month and drawing the charts…"), total=None)
            with session_scope() as session:
                html = report_html(session, compound=find_compound(session, ref=compound), period=span)
    except AppError as exc:
        _fail(err, exc)
    out.write_text(html, encoding="utf-8")
    err.print(_("Wrote %(path)s (%(size)s kB): open it in a browser and print it on A4.", path=str(out),
                size=len(html) // 1024), markup=False, highlight=False)  # fmt: skip
