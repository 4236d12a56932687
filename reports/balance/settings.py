"""Each compound's balance settings: the stored row, or the defaults until someone saves one."""

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from compound.kit import lookups
from compound.kit.errors import Conflict, InvalidInput
from compound.kit.i18n import gettext as _
from compound.register.models import Account, Compound
from meters.models import Meter, Utility
from reports.formulas.night_flow import NightUseAllowances, NightWindow
from reports.formulas.water import MeterErrorBasis
from reports.models import BalanceSettings, LossCable, UnbilledAccount, UnbilledPurpose

HOURS = 24


def get_settings(session: Session, *, compound: Compound) -> BalanceSettings:
    """The compound's settings; an unsaved row of defaults when it has none yet."""
    row = session.execute(
        sa.select(BalanceSettings).where(BalanceSettings.compound_id == compound.id)
    ).scalar_one_or_none()
    return row if row is not None else BalanceSettings(compound_id=compound.id)


def update_settings(session: Session, *, compound: Compound, changes: dict[str, Any]) -> BalanceSettings:
    """Change the given fields (already checked by the schema) and save; the first save creates the row."""
    row = get_settings(session, compound=compound)
    for name, value in changes.items():
        setattr(row, name, value)
    _check(row)
    session.add(row)
    session.flush()
    return row


def _check(row: BalanceSettings) -> None:
    if row.night_start == row.night_end:
        raise InvalidInput(_("The night window must not start and end at the same time."), field="night_end")
    if row.pressure_profile:
        pressure_profile(row.pressure_profile)


def meter_error_basis(row: BalanceSettings) -> MeterErrorBasis:
    return MeterErrorBasis(row.meter_error_basis)


def pressure_profile(text: str) -> list[Decimal]:
    """24 hourly pressures (m) from "30,30,…"; InvalidInput naming pressure_profile otherwise."""
    parts = [p.strip() for p in text.replace("，", ",").split(",") if p.strip()]
    try:
        values = [Decimal(p) for p in parts]
    except InvalidOperation:
        raise InvalidInput(
            _("The pressure profile is 24 numbers (metres), one for each hour, separated by commas."),
            field="pressure_profile",
        ) from None
    if len(values) != HOURS or any(not v.is_finite() or v < 0 for v in values):
        raise InvalidInput(
            _("The pressure profile is 24 numbers (metres), one for each hour, separated by commas."),
            field="pressure_profile",
        )
    return values


def night_window(row: BalanceSettings) -> NightWindow:
    return NightWindow(start=row.night_start, end=row.night_end)


def allowances(row: BalanceSettings) -> NightUseAllowances:
    return NightUseAllowances(
        people=row.night_people,
        active_fraction=Decimal(row.night_active_fraction),
        litres_per_active_person_hour=Decimal(row.litres_per_person_hour),
        small_non_domestic_users=row.small_users,
        litres_per_non_domestic_user_hour=Decimal(row.litres_per_small_user_hour),
        exceptional_litres_per_hour=Decimal(row.exceptional_litres_per_hour),
    )


def night_hours(window: NightWindow) -> Sequence[int]:
    """The clock hours the window covers (its pressure is the night pressure of the profile)."""
    start, end = window.start.hour, window.end.hour
    if start < end:
        return range(start, end)
    if start == end:
        return [start]
    return [*range(start, HOURS), *range(0, end)]


def unbilled_accounts(session: Session, *, compound: Compound) -> list[UnbilledAccount]:
    return list(
        session.execute(
            sa.select(UnbilledAccount).where(UnbilledAccount.compound_id == compound.id).order_by(UnbilledAccount.id)
        ).scalars()
    )


def set_unbilled(session: Session, *, compound: Compound, account_id: int | None, purpose: str) -> UnbilledAccount:
    """Mark an account's metered use as authorised but not billed (the centre's own use, public lighting)."""
    if purpose not in {p.value for p in UnbilledPurpose}:
        raise InvalidInput(_("Choose one of the options."), field="purpose")
    lookups.get_or_raise(
        session, Account, compound_id=compound.id, id=account_id, error=InvalidInput, message=_("No such account."),
        field="account_id",
    )  # fmt: skip
    row = session.execute(
        sa.select(UnbilledAccount).where(
            UnbilledAccount.compound_id == compound.id, UnbilledAccount.account_id == account_id
        )
    ).scalar_one_or_none()
    row = row or UnbilledAccount(compound_id=compound.id, account_id=account_id)
    row.purpose = UnbilledPurpose(purpose)
    session.add(row)
    session.flush()
    return row


def remove_unbilled(session: Session, *, compound: Compound, account_id: int | None) -> None:
    row = session.execute(
        sa.select(UnbilledAccount).where(
            UnbilledAccount.compound_id == compound.id, UnbilledAccount.account_id == account_id
        )
    ).scalar_one_or_none()
    if row is None:
        raise InvalidInput(_("No such account."), field="account_id")
    session.delete(row)
    session.flush()


def loss_cables(session: Session, *, compound: Compound) -> list[LossCable]:
    return list(
        session.execute(
            sa.select(LossCable).where(LossCable.compound_id == compound.id).order_by(LossCable.name)
        ).scalars()
    )


def add_loss_cable(session: Session, *, compound: Compound, data: Any) -> LossCable:
    """A cable whose 3·I²·R replaces the line-loss rate of the master meter it is under."""
    meter = lookups.get_or_raise(
        session, Meter, compound_id=compound.id, id=data.meter_id, error=InvalidInput, message=_("No such meter."),
        field="meter_id",
    )  # fmt: skip
    if meter.utility != Utility.electricity:
        raise InvalidInput(_("A loss cable carries what an electricity meter measures."), field="meter_id")
    if lookups.exists(session, LossCable, compound_id=compound.id, name=data.name):
        raise Conflict(_("A loss cable named %(name)s is already registered.", name=data.name), field="name")
    cable = LossCable(compound_id=compound.id, **data.model_dump())
    session.add(cable)
    session.flush()
    return cable
