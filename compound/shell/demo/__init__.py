"""The demo compound: `compound demo` and `compound serve --demo` (shell level: it imports meters)."""

import time

import sqlalchemy as sa

from compound.auth.labels import role_label
from compound.kit.i18n import N_
from compound.kit.i18n import gettext as _
from compound.kit.unit_of_work import session_scope
from compound.register.models import Compound
from compound.shell.demo.builder import DemoCompound, build_demo, summary
from compound.shell.demo.names import COMPOUND_CODE
from compound.shell.demo.users import ensure_demo_users

__all__ = ["DemoCompound", "build_demo", "build_demo_cli", "summary"]

STAGES = {"register": N_("Register"), "meter tree": N_("Meter tree"), "readings": N_("Readings"), "bills": N_("Bills")}
COUNTS = {
    "zones": N_("Zones"),
    "buildings": N_("Buildings"),
    "accounts": N_("Accounts"),
    "meters": N_("Meters"),
    "transformers": N_("Transformers"),
    "unmetered uses": N_("Unmetered uses"),
    "seals": N_("Seals"),
    "readings": N_("Readings"),
}


def build_demo_cli(only_if_empty: bool = False) -> None:
    """Build the demo compound and commit it, with a progress bar and a summary.

    only_if_empty: leave a database that already holds any compound alone (serve --demo).
    """
    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    console = Console()
    started = time.monotonic()
    with session_scope() as session:
        codes = set(session.execute(sa.select(Compound.__table__.c.code)).scalars())
        if COMPOUND_CODE in codes:
            console.print(_("The demo compound (%(code)s) already exists; nothing was changed.", code=COMPOUND_CODE))
            demo_id = session.execute(sa.select(Compound.id).where(Compound.code == COMPOUND_CODE)).scalar_one()
            _print_users(console, ensure_demo_users(session, compound_id=demo_id))
            return
        if only_if_empty and codes:
            console.print(_("The database already holds a compound; the demo was not added."))
            return
        with Progress(console=console) as progress:
            tasks: dict[str, int] = {}

            def on_progress(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = progress.add_task(_(STAGES.get(stage, stage)), total=total)
                progress.update(tasks[stage], completed=done, total=total)

            demo = build_demo(session, on_progress=on_progress)
        counts = summary(session, compound_id=demo.compound_id)
        users = ensure_demo_users(session, compound_id=demo.compound_id)
    table = Table(title=_("Demo compound %(code)s", code=demo.code))
    table.add_column(_("Records"))
    table.add_column(_("Count"), justify="right")
    for key, n in counts.items():
        table.add_row(_(COUNTS[key]), str(n))
    console.print(table)
    console.print(_("Built and saved in %(seconds)s s.", seconds=f"{time.monotonic() - started:.1f}"))
    _print_users(console, users)


def _print_users(console, users: dict) -> None:
    from rich.table import Table

    table = Table(title=_("Demo users (new passwords each time the demo is served)"))
    for column in (_("User name"), _("Role"), _("Password")):
        table.add_column(column)
    for username, (role, password) in users.items():
        table.add_row(username, role_label(role), password)
    console.print(table)
