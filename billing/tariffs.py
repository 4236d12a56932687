"""Tariffs: effective-dated versions per compound, utility and customer class, with components, blocks and charges."""

from collections import defaultdict
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session

from billing.errors import BillingNotFound, BillsIssued, TariffRefused
from billing.models import BillLine, BlockBasis, CustomerClass, Tariff, TariffBlock, TariffCharge, TariffComponent
from billing.setup import ensure_setup
from billing.tariff_schemas import (
    BlockOut,
    ChargeOut,
    ComponentOut,
    HouseholdRuleIn,
    TariffIn,
    TariffOut,
)
from compound.kit.i18n import gettext as _


def class_by_code(session: Session, *, compound_id: int, code: str) -> CustomerClass:
    found = session.execute(
        sa.select(CustomerClass).where(CustomerClass.compound_id == compound_id, CustomerClass.code == code)
    ).scalar_one_or_none()
    if found is None:
        raise TariffRefused(_("There is no customer class %(code)s in this compound.", code=code), field="class")
    return found


def save_tariff(session: Session, *, compound_id: int, data: TariffIn) -> Tariff:
    """Add a tariff version; one of the same utility, class and date is replaced while no bill has used it."""
    ensure_setup(session, compound_id=compound_id)
    cls = class_by_code(session, compound_id=compound_id, code=data.customer_class)
    old = session.execute(
        sa.select(Tariff).where(
            Tariff.compound_id == compound_id,
            Tariff.utility == data.utility,
            Tariff.class_id == cls.id,
            Tariff.valid_from == data.valid_from,
        )
    ).scalar_one_or_none()
    if old is not None:
        _delete_unused(session, old)
    month, day = (int(x) for x in data.year_start.split("-"))
    rule = data.household_rule
    tariff = Tariff(
        compound_id=compound_id,
        utility=data.utility,
        class_id=cls.id,
        valid_from=data.valid_from,
        name=data.name,
        block_basis=BlockBasis(data.basis),
        year_start_month=month,
        year_start_day=day,
        minimum_quantity=data.minimum_quantity,
        base_persons=rule.base_persons if rule else None,
        threshold_step_per_person=rule.step_per_person if rule else None,
        source=data.source,
    )
    session.add(tariff)
    session.flush()
    for position, comp in enumerate(data.components):
        row = TariffComponent(
            compound_id=compound_id, tariff_id=tariff.id, position=position, code=comp.code, name=comp.name
        )
        session.add(row)
        session.flush()
        for number, block in enumerate(comp.blocks, start=1):
            session.add(
                TariffBlock(
                    compound_id=compound_id, component_id=row.id, number=number, up_to=block.up_to, price=block.price
                )
            )
    for charge in data.fixed_charges:
        session.add(
            TariffCharge(
                compound_id=compound_id, tariff_id=tariff.id, code=charge.code, name=charge.name, amount=charge.amount
            )
        )
    session.flush()
    return tariff


def _delete_unused(session: Session, old: Tariff) -> None:
    used = session.execute(
        sa.select(BillLine.id).where(BillLine.compound_id == old.compound_id, BillLine.tariff_id == old.id).limit(1)
    ).first()
    if used:
        raise BillsIssued(
            _(
                "Bills already use the tariff from %(date)s: it cannot be replaced. Publish a new version from a later "
                "date.",
                date=old.valid_from.isoformat(),
            ),
            field="valid_from",
        )
    comps = select_ids(TariffComponent, old)
    for model, where in (
        (TariffBlock, TariffBlock.component_id.in_(comps)),
        (TariffComponent, TariffComponent.tariff_id == old.id),
        (TariffCharge, TariffCharge.tariff_id == old.id),
    ):
        session.execute(sa.delete(model).where(model.compound_id == old.compound_id, where))
    session.delete(old)
    session.flush()


def select_ids(model: type, tariff: Tariff) -> sa.Select:
    return sa.select(model.id).where(model.compound_id == tariff.compound_id, model.tariff_id == tariff.id)


def get_tariff(session: Session, *, compound_id: int, tariff_id: int) -> Tariff:
    t = session.execute(
        sa.select(Tariff).where(Tariff.compound_id == compound_id, Tariff.id == tariff_id)
    ).scalar_one_or_none()
    if t is None:
        raise BillingNotFound(_("No such tariff."), field="tariff_id")
    return t


def list_tariffs(session: Session, *, compound_id: int, on: date | None = None) -> list[TariffOut]:
    """Every version, newest first (or only those in force on a date)."""
    q = sa.select(Tariff).where(Tariff.compound_id == compound_id)
    tariffs = list(session.execute(q.order_by(Tariff.utility, Tariff.class_id, Tariff.valid_from.desc())).scalars())
    if on is not None:
        latest: dict[tuple[str, int], Tariff] = {}
        for t in sorted(tariffs, key=lambda t: t.valid_from):
            if t.valid_from <= on:
                latest[(t.utility, t.class_id)] = t
        tariffs = list(latest.values())
    return describe(session, compound_id=compound_id, tariffs=tariffs)


def describe(session: Session, *, compound_id: int, tariffs: list[Tariff]) -> list[TariffOut]:
    ids = [t.id for t in tariffs]
    classes = dict(
        session.execute(
            sa.select(CustomerClass.id, CustomerClass.code).where(CustomerClass.compound_id == compound_id)
        ).all()
    )
    comps: dict[int, list[TariffComponent]] = defaultdict(list)
    for c in session.execute(
        sa.select(TariffComponent)
        .where(TariffComponent.compound_id == compound_id, TariffComponent.tariff_id.in_(ids))
        .order_by(TariffComponent.position)
    ).scalars():
        comps[c.tariff_id].append(c)
    blocks: dict[int, list[TariffBlock]] = defaultdict(list)
    comp_ids = [c.id for cs in comps.values() for c in cs]
    for b in session.execute(
        sa.select(TariffBlock)
        .where(TariffBlock.compound_id == compound_id, TariffBlock.component_id.in_(comp_ids))
        .order_by(TariffBlock.number)
    ).scalars():
        blocks[b.component_id].append(b)
    charges: dict[int, list[TariffCharge]] = defaultdict(list)
    for ch in session.execute(
        sa.select(TariffCharge)
        .where(TariffCharge.compound_id == compound_id, TariffCharge.tariff_id.in_(ids))
        .order_by(TariffCharge.code)
    ).scalars():
        charges[ch.tariff_id].append(ch)
    return [
        TariffOut(
            id=t.id,
            utility=t.utility,
            customer_class=classes.get(t.class_id, ""),
            valid_from=t.valid_from,
            name=t.name,
            basis=t.block_basis,
            year_start=f"{t.year_start_month:02d}-{t.year_start_day:02d}",
            minimum_quantity=t.minimum_quantity,
            household_rule=HouseholdRuleIn(base_persons=t.base_persons, step_per_person=t.threshold_step_per_person)
            if t.base_persons is not None and t.threshold_step_per_person is not None
            else None,
            components=[
                ComponentOut(
                    code=c.code,
                    name=c.name,
                    blocks=[BlockOut(number=b.number, up_to=b.up_to, price=b.price) for b in blocks[c.id]],
                )
                for c in comps[t.id]
            ],
            fixed_charges=[ChargeOut(code=ch.code, name=ch.name, amount=ch.amount) for ch in charges[t.id]],
            source=t.source,
        )
        for t in tariffs
    ]
