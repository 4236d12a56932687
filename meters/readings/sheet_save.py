"""Saving a whole round sheet at once: every typed reading checked against state loaded once, the accepted
ones written in a few statements.

The rules are record_reading's (validation.check on the meter's last real reading and recent average, the
estimates it replaces superseded), applied to many meters the way the importer applies them to a file: the
meters claimed in one statement, their states in three, the readings in one multi-row INSERT, the superseded
estimates in one UPDATE and the audit trail in one INSERT. A 400-meter sheet is a dozen statements, not 2,800.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from compound.audit.service import record_created
from compound.kit import clock
from compound.register.models import Compound
from meters.models import Meter, Reading, ReadingKind, ReadingSource
from meters.readings.service import load_states
from meters.readings.validation import Code, Problem, check

R = Reading.__table__.c
M = Meter.__table__.c


@dataclass(frozen=True)
class SheetEntry:
    """One meter's typed reading: the text as typed, when it was read, and what the reader confirmed."""

    meter_id: int
    value: str
    read_at: datetime
    rollover: bool = False
    confirm: frozenset[str] = frozenset()


@dataclass
class EntryResult:
    status: str  # saved | refused | confirm
    problems: list[Problem] = field(default_factory=list)
    reading_id: int | None = None


def _claim(session: Session, compound_id: int, meter_ids: list[int]) -> None:
    """Lock the sheet's meters, as record_reading locks one: a reading saved meanwhile cannot slip past the checks.

    SQLite's write transaction already holds the whole database, so there is nothing to claim there.
    """
    if session.get_bind().dialect.name != "sqlite":
        query = sa.select(M.id).where(M.compound_id == compound_id, M.id.in_(meter_ids)).order_by(M.id)
        session.execute(query.with_for_update()).all()


def _row(compound_id: int, entry: SheetEntry, verdict: object, read_by: str) -> dict[str, object]:
    confirmed = sorted(p.code.value for p in verdict.problems if p.code in entry.confirm)  # type: ignore[attr-defined]
    return {
        "compound_id": compound_id,
        "meter_id": entry.meter_id,
        "read_at": entry.read_at,
        "value_milli": verdict.value,  # type: ignore[attr-defined]
        "consumption_milli": verdict.consumption,  # type: ignore[attr-defined]
        "period_seconds": verdict.period_seconds,  # type: ignore[attr-defined]
        # A rollover only means something against a previous reading.
        "rollover": entry.rollover and verdict.consumption is not None,  # type: ignore[attr-defined]
        "source": ReadingSource.manual.value,
        "kind": ReadingKind.regular.value,
        "read_by": read_by,
        "note": "",
        "confirmed": ",".join(confirmed),
    }


def _supersede_estimates(session: Session, compound_id: int, new_ids: dict[int, int]) -> None:
    """Each meter's counted estimates stand replaced by the reading just saved for it (one UPDATE).

    The new reading is found by a correlated subquery over the new ids, not by a CASE of one branch per meter:
    a 400-branch CASE cost more to build and compile than the rest of the save.
    """
    new = Reading.__table__.alias("new")
    saved_now = (
        sa.select(new.c.id)
        .where(new.c.compound_id == R.compound_id, new.c.meter_id == R.meter_id, new.c.id.in_(list(new_ids.values())))
        .scalar_subquery()
    )
    session.execute(
        sa.update(Reading.__table__)
        .where(
            R.compound_id == compound_id,
            R.meter_id.in_(list(new_ids)),
            R.source == ReadingSource.estimated.value,
            R.superseded_by_id.is_(None),
        )
        .values(superseded_by_id=saved_now)
        .execution_options(synchronize_session=False)
    )


def save_sheet(
    session: Session,
    *,
    compound: Compound,
    entries: Iterable[SheetEntry],
    read_by: str = "",
    now: datetime | None = None,
) -> dict[int, EntryResult]:
    """Check and save a round's readings; what each meter's entry became. Never commits, never raises for a
    reading: a refused or unconfirmed one is reported and the others are saved."""
    now = now or clock.now()
    tz = clock.tz_of(compound)
    entries = list(entries)
    ids = sorted({e.meter_id for e in entries})
    if not ids:
        return {}
    _claim(session, compound.id, ids)
    states = load_states(session, compound_id=compound.id, meter_ids=ids, now=now)
    results: dict[int, EntryResult] = {}
    rows = []
    seen: set[int] = set()
    for entry in entries:
        if entry.meter_id in seen:
            continue  # a sheet has each meter once; a repeated field is the same reading sent twice
        seen.add(entry.meter_id)
        state = states.get(entry.meter_id)
        if state is None:
            results[entry.meter_id] = EntryResult("refused", [Problem(Code.unknown_meter, "meter", {"serial": ""})])
            continue
        at = clock.assume_local(entry.read_at, tz)
        verdict = check(
            state, entry.value, at, now=now, spike_factor=compound.spike_factor, rollover=entry.rollover, tz=tz
        )
        if verdict.refused:
            results[entry.meter_id] = EntryResult("refused", verdict.problems)
        elif pending := verdict.unconfirmed(entry.confirm):
            results[entry.meter_id] = EntryResult("confirm", pending)
        else:
            rows.append(
                _row(
                    compound.id,
                    SheetEntry(entry.meter_id, entry.value, at, entry.rollover, entry.confirm),
                    verdict,
                    read_by,
                )
            )
    if rows:
        # A sheet holds each meter once: the meter id tells which new id is whose, in whatever order they come.
        inserted = session.execute(sa.insert(Reading.__table__).returning(R.id, R.meter_id), rows).all()
        new_ids = {meter_id: reading_id for reading_id, meter_id in inserted}
        _supersede_estimates(session, compound.id, new_ids)
        record_created(session, object_type="reading", rows=[{**r, "id": new_ids[r["meter_id"]]} for r in rows])
        for meter_id, reading_id in new_ids.items():
            results[meter_id] = EntryResult("saved", reading_id=reading_id)
    return results
