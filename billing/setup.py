"""A compound's billing facts, made at its first use (first tariff load or bill run) and topped up at every run.

- Customer classes `household` and `office` (more are data: add rows).
- The finance bureau's payer account (AccountKind.payer, code `CZJ` unless taken): the payer of every office whose
  `account.payer` is `finance_bureau`, so `bill.payer_id` is always an account id.
- A billing account per office and household: its class by the account's kind, and `official_use` — the leading
  bodies' official use — for an office paid by the finance bureau (the four leading bodies' offices and their
  conference account in the demo) or an office in a conference zone (the auditorium, the meeting rooms). A clerk
  can change either afterwards; later runs keep what is there.
All of it is a few set-based statements: the run calls it every time at no cost.
"""

import sqlalchemy as sa
from sqlmodel import Session

from billing.models import BillingAccount, BillingSettings, CustomerClass
from compound.register.models import Account, AccountKind, Building, Compound, Payer, Zone, ZoneKind

DEFAULT_CLASSES = (("household", "居民"), ("office", "办公"))
FINANCE_BUREAU_CODE = "CZJ"


def ensure_setup(session: Session, *, compound_id: int) -> BillingSettings:
    """The compound's billing settings, with its classes, payer account and billing accounts in place.

    Takes the compound's row (FOR NO KEY UPDATE: readings and other rows pointing at it are not held up), so two
    runs or loads of one compound set up, and then run, one after the other.
    """
    session.execute(sa.select(Compound.id).where(Compound.id == compound_id).with_for_update(key_share=True))
    _ensure_classes(session, compound_id=compound_id)
    settings = session.execute(
        sa.select(BillingSettings).where(BillingSettings.compound_id == compound_id)
    ).scalar_one_or_none()
    if settings is None:
        settings = BillingSettings(compound_id=compound_id)
        session.add(settings)
    if settings.finance_bureau_account_id is None:
        settings.finance_bureau_account_id = _make_payer_account(session, compound_id=compound_id)
    session.flush()
    _ensure_billing_accounts(session, compound_id=compound_id)
    return settings


def _ensure_classes(session: Session, *, compound_id: int) -> None:
    have = set(session.execute(sa.select(CustomerClass.code).where(CustomerClass.compound_id == compound_id)).scalars())
    for code, name in DEFAULT_CLASSES:
        if code not in have:
            session.add(CustomerClass(compound_id=compound_id, code=code, name=name))
    session.flush()


def _make_payer_account(session: Session, *, compound_id: int) -> int:
    taken = set(session.execute(sa.select(Account.code).where(Account.compound_id == compound_id)).scalars())
    code, n = FINANCE_BUREAU_CODE, 1
    while code in taken:
        n += 1
        code = f"{FINANCE_BUREAU_CODE}{n}"
    account = Account(
        compound_id=compound_id,
        code=code,
        kind=AccountKind.payer,
        # Data, not a message: the seed's words for the earmarked funds (财政…办公、会务水电费专款).
        name="财政局（办公、会务水电费专款）",
        payer=Payer.self,
    )
    session.add(account)
    session.flush()
    assert account.id is not None
    return account.id


def _ensure_billing_accounts(session: Session, *, compound_id: int) -> None:
    cls = (
        sa.select(CustomerClass.id)
        .where(CustomerClass.compound_id == compound_id, CustomerClass.code == Account.kind)
        .scalar_subquery()
    )
    conference = (
        sa.select(sa.literal(1))
        .select_from(Building)
        .join(Zone, sa.and_(Zone.compound_id == Building.compound_id, Zone.id == Building.zone_id))
        .where(Building.compound_id == Account.compound_id, Building.id == Account.building_id)
        .where(Zone.kind == ZoneKind.conference.value)
        .exists()
    )
    official = sa.and_(
        Account.kind == AccountKind.office.value,
        sa.or_(Account.payer == Payer.finance_bureau.value, conference),
    )
    missing = (
        sa.select(
            Account.compound_id,
            Account.id,
            cls,
            sa.case((official, sa.true()), else_=sa.false()),
            sa.false(),
        )
        .where(Account.compound_id == compound_id)
        .where(Account.kind.in_([AccountKind.office.value, AccountKind.household.value]))
        .where(
            ~sa.select(BillingAccount.id)
            .where(BillingAccount.compound_id == Account.compound_id, BillingAccount.account_id == Account.id)
            .exists()
        )
    )
    session.execute(
        sa.insert(BillingAccount).from_select(
            ["compound_id", "account_id", "class_id", "official_use", "exempt"], missing
        )
    )
