"""Collection tables: policies and their levels, cases (one chase of one payer), the actions a run makes due,
and the contacts staff record against them.

Money here is integer fen (the ledger's unit in SQL, billing/ledger/entries.py), exact on both databases.
"""

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from compound.kit.db import SCOPED_MAPPER, AwareDateTime, compound_field, same_compound_fk, scoped, scoped_id_field


def _ref(*, nullable: bool = False, index: bool = False) -> object:
    return Field(default=None, sa_column=sa.Column(sa.BigInteger, nullable=nullable, index=index))


def _str(size: int, *, nullable: bool = False, default: str | None = None) -> object:
    return Field(default=default, sa_column=sa.Column(sa.String(size), nullable=nullable))


def _int(*, default: int | None = None, nullable: bool = False) -> object:
    return Field(default=default, sa_column=sa.Column(sa.Integer, nullable=nullable))


def _fen(*, default: int | None = None, nullable: bool = False) -> object:
    return Field(default=default, sa_column=sa.Column(sa.BigInteger, nullable=nullable))


class ActionKind(StrEnum):
    written_notice = "written_notice"  # a printed letter, a building's in one batch
    official_letter = "official_letter"  # to the finance bureau, for the offices it funds
    phone_call = "phone_call"
    home_visit = "home_visit"  # door to door; the collector may take the payment there
    key_defaulter = "key_defaulter"  # on the key-defaulter list, for management review


LETTERS = (ActionKind.written_notice, ActionKind.official_letter)


class ActionStatus(StrEnum):
    open = "open"
    done = "done"
    superseded = "superseded"  # the account moved to another level before it was done
    cancelled = "cancelled"  # the case closed (paid) before it was done


class ContactOutcome(StrEnum):
    reached = "reached"
    not_reached = "not_reached"  # the task stays open: try again
    promised = "promised"  # to pay AMOUNT by DATE: the chase pauses until then
    refused = "refused"
    paid = "paid"  # paid on the spot: a payment recorded through billing/payments
    sent = "sent"  # a letter printed and delivered


class CloseReason(StrEnum):
    paid = "paid"  # nothing owed any more
    promise_kept = "promise_kept"
    below_levels = "below_levels"  # still owes, but no level's conditions hold (a small or recent balance)


class CollectionPolicy(SQLModel, table=True):
    """How one class of payer is chased: its ordered levels, and an optional late fee (off unless switched on)."""

    __tablename__ = "collection_policy"
    __table_args__ = scoped(
        sa.UniqueConstraint("compound_id", "key"),
        same_compound_fk("class_id", "customer_class"),
    )
    __mapper_args__ = SCOPED_MAPPER
    id: int | None = scoped_id_field()
    compound_id: int = compound_field()
    # "class:household", "class:office", … or "finance_bureau" (the offices the finance bureau pays for).
    key: str = _str(40)
    class_id: int | None = _ref(nullable=True)
    finance_bureau: bool = Field(default=False, sa_column=sa.Column(sa.Boolean, nullable=False))
    name: str = _str(100)
    # Late fee: parts per million of the overdue principal per day overdue (500 = 0.05 % a day, 万分之五), never on
    # a fee (not compounding), never more than the principal.
    late_fee_enabled: bool = Field(default=False, sa_column=sa.Column(sa.Boolean, nullable=False))
    late_fee_ppm_per_day: int = _int(default=0)


class CollectionLevel(SQLModel, table=True):
    """One step of a policy: due when the oldest unpaid bill is `days_overdue` past due and the balance is at least
    the minimum; the deepest level whose conditions hold is the account's level."""

    __tablename__ = "collection_level"
    __table_args__ = scoped(
        sa.UniqueConstraint("compound_id", "policy_id", "position"),
        same_compound_fk("policy_id", "collection_policy", ondelete="CASCADE"),
        sa.CheckConstraint("days_overdue >= 1", name="days_overdue_positive"),
        sa.CheckConstraint("min_balance_fen >= 1", name="min_balance_positive"),
    )
    __mapper_args__ = SCOPED_MAPPER
    id: int | None = scoped_id_field()
    compound_id: int = compound_field()
    policy_id: int = _ref()
    position: int = _int()  # 1, 2, 3 … in the order of the chase
    days_overdue: int = _int()
    min_balance_fen: int = _fen()
    action: ActionKind = Field(sa_column=sa.Column(sa.String(20), nullable=False))
    # Who does it: a user name, or empty for anyone in finance.
    assignee: str = _str(100, default="")


class CollectionCase(SQLModel, table=True):
    """One chase of one payer, from the run that found them in arrears to the run that found them paid."""

    __tablename__ = "collection_case"
    __table_args__ = scoped(
        same_compound_fk("payer_id", "account"),
        same_compound_fk("policy_id", "collection_policy"),
        # At most one open case per payer.
        sa.Index(
            "uq_collection_case_open_payer",
            "compound_id",
            "payer_id",
            unique=True,
            sqlite_where=sa.text("closed_on IS NULL"),
            postgresql_where=sa.text("closed_on IS NULL"),
        ),
    )
    __mapper_args__ = SCOPED_MAPPER
    id: int | None = scoped_id_field()
    compound_id: int = compound_field()
    payer_id: int = _ref()
    policy_id: int = _ref()
    opened_on: date
    closed_on: date | None = None
    close_reason: str | None = _str(20, nullable=True)
    # As the latest run found it.
    level: int = _int(default=0)
    owed_fen: int = _fen(default=0)
    oldest_due_on: date | None = None
    late_fee_fen: int = _fen(default=0)
    updated_on: date
    # A promise to pay pauses the chase until promise_date; kept, it closes the case; broken, the chase goes on.
    promise_date: date | None = None
    promise_fen: int | None = _fen(nullable=True)
    promise_made_on: date | None = None
    promises_kept: int = _int(default=0)
    promises_broken: int = _int(default=0)


class CollectionAction(SQLModel, table=True):
    """What a level makes due for a case: made once (the unique key), whatever the number of runs."""

    __tablename__ = "collection_action"
    __table_args__ = scoped(
        sa.UniqueConstraint("compound_id", "case_id", "position"),
        same_compound_fk("case_id", "collection_case"),
        same_compound_fk("payer_id", "account"),
        same_compound_fk("building_id", "building"),
        sa.Index("ix_collection_action_open", "compound_id", "status", "action"),
    )
    __mapper_args__ = SCOPED_MAPPER
    id: int | None = scoped_id_field()
    compound_id: int = compound_field()
    case_id: int = _ref()
    payer_id: int = _ref(index=True)
    position: int = _int()
    action: ActionKind = Field(sa_column=sa.Column(sa.String(20), nullable=False))
    created_on: date
    # 30 days on: what the collection rate of the level counts a payment by.
    follow_up_by: date
    status: ActionStatus = Field(default=ActionStatus.open, sa_column=sa.Column(sa.String(16), nullable=False))
    owed_fen: int = _fen()  # owed when the action was made
    building_id: int | None = _ref(nullable=True)
    assignee: str = _str(100, default="")
    done_on: date | None = None
    outcome: str | None = _str(20, nullable=True)


class CollectionContact(SQLModel, table=True):
    """A contact made for an action: a call, a visit, a letter sent; with its outcome."""

    __tablename__ = "collection_contact"
    __table_args__ = scoped(
        same_compound_fk("action_id", "collection_action"),
        same_compound_fk("case_id", "collection_case"),
        same_compound_fk("payment_id", "payment"),
        sa.Index("ix_collection_contact_case", "compound_id", "case_id"),
    )
    __mapper_args__ = SCOPED_MAPPER
    id: int | None = scoped_id_field()
    compound_id: int = compound_field()
    action_id: int = _ref()
    case_id: int = _ref()
    at: datetime = Field(sa_column=sa.Column(AwareDateTime(), nullable=False))
    by: str = _str(100, default="")
    outcome: ContactOutcome = Field(sa_column=sa.Column(sa.String(20), nullable=False))
    promise_date: date | None = None
    promise_fen: int | None = _fen(nullable=True)
    payment_id: int | None = _ref(nullable=True)
    note: str = _str(500, default="")


MODELS = (CollectionPolicy, CollectionLevel, CollectionCase, CollectionAction, CollectionContact)
