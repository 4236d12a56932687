"""Collection policies: the defaults (the seed's notice → phone call → home visit → key defaulters), made at first
use for every customer class and for the offices the finance bureau funds; and the rules a change must keep."""

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session

from billing.collections.models import ActionKind, CollectionLevel, CollectionPolicy
from billing.models import CustomerClass
from billing.setup import ensure_setup
from compound.kit.errors import InvalidInput
from compound.kit.i18n import gettext as _

FINANCE_BUREAU = "finance_bureau"
MAX_LEVELS = 8
MAX_DAYS = 3650
MAX_FEN = 10**11
MAX_PPM = 10_000  # 1 % a day: anything above is a typing error


@dataclass(frozen=True)
class LevelSpec:
    days_overdue: int
    min_balance_fen: int
    action: ActionKind
    assignee: str = ""


# A notice a month after the due date, a call after two, a visit after three, the list after half a year.
DEFAULT_LEVELS = (
    LevelSpec(30, 1, ActionKind.written_notice),
    LevelSpec(60, 5_000, ActionKind.phone_call),
    LevelSpec(90, 10_000, ActionKind.home_visit),
    LevelSpec(180, 50_000, ActionKind.key_defaulter),
)
# The finance bureau pays late as a rule (two to five months): an official letter, then a call, then management.
FINANCE_BUREAU_LEVELS = (
    LevelSpec(30, 1, ActionKind.official_letter),
    LevelSpec(90, 1, ActionKind.phone_call),
    LevelSpec(180, 1, ActionKind.key_defaulter),
)


def class_key(code: str) -> str:
    return f"class:{code}"


def ensure_policies(session: Session, *, compound_id: int) -> None:
    """A policy for every customer class and for the finance bureau, with the default levels, where none is."""
    ensure_setup(session, compound_id=compound_id)
    have = set(session.execute(sa.select(CollectionPolicy.key).where(CollectionPolicy.compound_id == compound_id))
               .scalars())
    classes = session.execute(
        sa.select(CustomerClass.id, CustomerClass.code, CustomerClass.name)
        .where(CustomerClass.compound_id == compound_id)
        .order_by(CustomerClass.id)
    ).all()
    wanted = [(class_key(c.code), c.id, False, c.name, DEFAULT_LEVELS) for c in classes]
    wanted.append((FINANCE_BUREAU, None, True, "财政局（公务用水电）", FINANCE_BUREAU_LEVELS))
    for key, class_id, bureau, name, levels in wanted:
        if key in have:
            continue
        policy = CollectionPolicy(compound_id=compound_id, key=key, class_id=class_id, finance_bureau=bureau,
                                  name=name)
        session.add(policy)
        session.flush()
        for position, spec in enumerate(levels, start=1):
            session.add(CollectionLevel(compound_id=compound_id, policy_id=policy.id, position=position,
                                        days_overdue=spec.days_overdue, min_balance_fen=spec.min_balance_fen,
                                        action=spec.action, assignee=spec.assignee))
    session.flush()


def policies(session: Session, *, compound_id: int) -> list[tuple[CollectionPolicy, list[CollectionLevel]]]:
    rows = session.execute(
        sa.select(CollectionPolicy).where(CollectionPolicy.compound_id == compound_id)
        .order_by(CollectionPolicy.finance_bureau, CollectionPolicy.id)
    ).scalars().all()
    levels = session.execute(
        sa.select(CollectionLevel).where(CollectionLevel.compound_id == compound_id)
        .order_by(CollectionLevel.policy_id, CollectionLevel.position)
    ).scalars().all()
    return [(p, [lv for lv in levels if lv.policy_id == p.id]) for p in rows]


def check_levels(specs: list[LevelSpec], *, finance_bureau: bool) -> None:
    """The rules a policy keeps: 1–8 levels, each later one no earlier; never a home visit to the finance bureau."""
    if not 1 <= len(specs) <= MAX_LEVELS:
        raise InvalidInput(_("A policy has between 1 and %(n)s levels.", n=MAX_LEVELS), field="levels")
    previous = 0
    for i, spec in enumerate(specs, start=1):
        field = f"levels.{i}"
        if not 1 <= spec.days_overdue <= MAX_DAYS:
            raise InvalidInput(_("Level %(n)s: days overdue must be between 1 and %(max)s.", n=i, max=MAX_DAYS),
                               field=f"{field}.days_overdue")
        if spec.days_overdue < previous:
            raise InvalidInput(_("Level %(n)s: days overdue cannot be fewer than the level before.", n=i),
                               field=f"{field}.days_overdue")
        if not 1 <= spec.min_balance_fen <= MAX_FEN:
            raise InvalidInput(_("Level %(n)s: the minimum balance must be at least 0.01 yuan.", n=i),
                               field=f"{field}.min_balance")
        if finance_bureau and spec.action == ActionKind.home_visit:
            raise InvalidInput(_("Level %(n)s: the finance bureau is never visited at home; send it an official "
                                 "letter.", n=i), field=f"{field}.action")
        if not finance_bureau and spec.action == ActionKind.official_letter:
            raise InvalidInput(_("Level %(n)s: official letters are for the finance bureau's policy.", n=i),
                               field=f"{field}.action")
        previous = spec.days_overdue


def save_policy(
    session: Session,
    *,
    policy: CollectionPolicy,
    levels: list[LevelSpec],
    late_fee_enabled: bool,
    late_fee_ppm_per_day: int,
) -> None:
    """Replace a policy's levels and late-fee rule (audited); the next run recomputes every level from them."""
    check_levels(levels, finance_bureau=policy.finance_bureau)
    if not 0 <= late_fee_ppm_per_day <= MAX_PPM:
        raise InvalidInput(_("The late fee must be between 0 and %(max)s per million a day.", max=MAX_PPM),
                           field="late_fee_ppm_per_day")
    if late_fee_enabled and late_fee_ppm_per_day == 0:
        raise InvalidInput(_("A late fee that is switched on needs a rate."), field="late_fee_ppm_per_day")
    policy.late_fee_enabled = late_fee_enabled
    policy.late_fee_ppm_per_day = late_fee_ppm_per_day
    old = session.execute(
        sa.select(CollectionLevel).where(CollectionLevel.compound_id == policy.compound_id,
                                         CollectionLevel.policy_id == policy.id)
    ).scalars().all()
    by_position = {lv.position: lv for lv in old}
    for position, spec in enumerate(levels, start=1):
        lv = by_position.pop(position, None) or CollectionLevel(compound_id=policy.compound_id, policy_id=policy.id,
                                                                position=position)
        lv.days_overdue, lv.min_balance_fen, lv.action, lv.assignee = (
            spec.days_overdue, spec.min_balance_fen, spec.action, spec.assignee.strip())
        session.add(lv)
    for lv in by_position.values():
        session.delete(lv)
    session.flush()
