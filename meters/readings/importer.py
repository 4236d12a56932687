"""Importing readings from a .csv or .xlsx file: every row checked by the rules of single entry, saved in bulk.

A file is all-or-nothing by default: one refused row and nothing is saved. In partial mode the valid rows
are saved and the others reported. Rows in a file cannot be confirmed, so a reading that needs confirming
(a spike) is never saved from a file: it is reported, to be entered and confirmed on the round sheet.
"""

import gc
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, tzinfo
from decimal import Decimal
from operator import itemgetter
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from compound.audit.service import record
from compound.kit import clock
from compound.kit.errors import InvalidInput, NotFound
from compound.kit.i18n import N_
from compound.kit.i18n import gettext as _
from compound.kit.params import YEARS
from compound.register.models import Compound
from meters.models import Meter, Reading, ReadingKind, ReadingSource
from meters.quantity import BadValue, fmt, parse_value, rollover_milli
from meters.readings.import_format import (
    BATCH,
    ImportFileError,
    Progress,
    RawRow,
    parse_read_at,
    read_at_out_of_range,
    read_table,
)
from meters.readings.service import load_states
from meters.readings.validation import (
    DUPLICATE_WINDOW,
    FUTURE_TOLERANCE,
    Code,
    MeterState,
    Problem,
    check,
    show_time,
)

NOTE_MAX = 500

# Codes of problems only a file can have; the reading's own problems keep validation's codes.
MISSING_SERIAL = "missing_serial"
MISSING_READ_AT = "missing_read_at"
BAD_READ_AT = "bad_read_at"
READ_AT_OUT_OF_RANGE = "read_at_out_of_range"
NOTE_TOO_LONG = "note_too_long"
DUPLICATE_IN_FILE = "duplicate_in_file"
ROW_MESSAGES = {
    MISSING_SERIAL: N_("No meter serial was given (column meter_serial)."),
    MISSING_READ_AT: N_("No reading time was given (column read_at)."),
    BAD_READ_AT: N_(
        "“%(text)s” in column read_at is not a date or time: write it as 2026-11-01 08:30, 2026/11/1 8:30 or "
        "2026年11月1日."
    ),
    READ_AT_OUT_OF_RANGE: N_("“%(text)s” in column read_at is outside the years %(first)s to %(last)s."),
    NOTE_TOO_LONG: N_("The note is longer than %(max)s characters."),
    # Not "already entered at …": in all-or-nothing mode the earlier row was never saved.
    DUPLICATE_IN_FILE: N_("Repeats row %(earlier)s of this file, which already gives this meter %(value)s at %(at)s."),
}
CONFIRM_IN_FILE = N_(
    "A file cannot confirm a reading: it was not saved. Enter it on the round sheet and confirm it there."
)
FIELDS = {"meter": "meter_serial"}  # validation's field names → the file's column names

_PLAIN = re.compile(r"([0-9]{1,18})(?:\.([0-9]{1,3}))?")


class ImportRefused(InvalidInput):
    """422: nothing was saved; `rows` says why, row by row."""

    def __init__(self, message: str, report: "ImportReport"):
        super().__init__(message, extra=report.to_dict())
        self.report = report


@dataclass(frozen=True)
class RowIssue:
    row: int  # as in the file: the header is row 1
    serial: str
    code: str
    field: str
    message: str
    needs_confirmation: bool = False

    def to_dict(self) -> dict[str, object]:
        return {
            "row": self.row,
            "serial": self.serial,
            "code": self.code,
            "field": self.field,
            "message": self.message,
            "needs_confirmation": self.needs_confirmation,
        }


@dataclass(frozen=True)
class SavedRow:
    row: int
    serial: str
    read_at: datetime
    value_milli: int
    already: bool = False  # identical to a reading stored before this import: nothing new to save

    def to_dict(self, tz: tzinfo) -> dict[str, object]:
        return {
            "row": self.row,
            "serial": self.serial,
            "read_at": show_time(self.read_at, tz),
            "value": fmt(self.value_milli),
            "already_saved": self.already,
        }


@dataclass
class ImportReport:
    partial: bool
    total: int = 0  # data rows in the file
    saved: int = 0
    issues: list[RowIssue] = field(default_factory=list)
    # Rows identical to a stored reading (an import run again): neither saved again nor refused.
    already_saved: list[SavedRow] = field(default_factory=list)
    # What the rows saved were made of: (row, serial) and (meter_id, read_at, value, ...) side by side.
    _origins: list[tuple[int, str]] = field(default_factory=list, repr=False)
    _accepted: list[tuple[Any, ...]] = field(default_factory=list, repr=False)
    tz: tzinfo = UTC

    def saved_rows(self, limit: int | None = None) -> list[SavedRow]:
        """The rows saved, and those already saved before, in file order (the first `limit`)."""
        rows = [SavedRow(n, s, a[1], a[2]) for (n, s), a in zip(self._origins, self._accepted, strict=True)]
        rows = sorted([*rows, *self.already_saved], key=lambda r: r.row)
        return rows[:limit] if limit is not None else rows

    @property
    def mode(self) -> str:
        return "partial" if self.partial else "all_or_nothing"

    @property
    def refused(self) -> int:
        """Rows not saved: refused, or needing a confirmation a file cannot give."""
        return len({i.row for i in self.issues})

    def summary(self) -> str:
        mode = _("partial") if self.partial else _("all-or-nothing")
        if self.already_saved and not self.saved and not self.issues:
            return _(
                "Mode %(mode)s: all %(total)s rows were saved before (the file was imported already); nothing new.",
                mode=mode,
                total=self.total,
            )
        if self.already_saved:
            return _(
                "Mode %(mode)s: %(saved)s of %(total)s rows saved, %(already)s were saved before, %(refused)s not "
                "saved.",
                mode=mode,
                saved=self.saved,
                total=self.total,
                already=len(self.already_saved),
                refused=self.refused,
            )
        if self.saved:
            return _(
                "Mode %(mode)s: %(saved)s of %(total)s rows saved, %(refused)s not saved.",
                mode=mode,
                saved=self.saved,
                total=self.total,
                refused=self.refused,
            )
        return _(
            "Mode %(mode)s: nothing was saved; %(refused)s of %(total)s rows were refused.",
            mode=mode,
            refused=self.refused,
            total=self.total,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "total": self.total,
            "saved": self.saved,
            "refused": self.refused,
            "already_saved": len(self.already_saved),
            "summary": self.summary(),
            "rows": [i.to_dict() for i in self.issues],
            "saved_rows": [r.to_dict(self.tz) for r in self.saved_rows()],
        }


# --- checking --------------------------------------------------------------------------------------------


def _text(v: object) -> str:
    return "" if v is None else str(v).strip()


@dataclass
class Checker:
    """validation.check for many rows: a fast path for the readings it accepts, check() itself for all others."""

    now: datetime
    spike_factor: Decimal
    tz: tzinfo

    def __post_init__(self) -> None:
        self.future_limit = self.now + FUTURE_TOLERANCE
        self.limits = {d: rollover_milli(d) for d in range(1, 13)}

    def fast(
        self, state: MeterState, raw: object, at: datetime, last: int | None, last_at: datetime | None
    ) -> tuple[int, int | None, int | None] | None:
        """(value, consumption, period) exactly as check() finds them when it finds no problem; else None.

        last and last_at stand for the state's own (the file may have moved them on). Only plain numbers
        ("1234.5") on a meter in service take this path, and it answers only when none of check()'s
        conditions for a problem holds; every other reading goes to check().
        """
        if state.removed_on or at > self.future_limit or not isinstance(raw, str):
            return None
        match = _PLAIN.fullmatch(raw)
        if match is None:
            return None
        whole, frac = match.groups()
        value = int(whole + frac.ljust(3, "0")) if frac else int(whole) * 1000
        if value >= (self.limits.get(state.dials) or rollover_milli(state.dials)):
            return None
        if last is None or last_at is None:
            return value, None, None
        if at <= last_at or value < last or (value == last and at - last_at < DUPLICATE_WINDOW):
            return None
        used = (value - last) * state.multiplier
        period = int((at - last_at).total_seconds())
        avg = state.avg_daily
        if avg and avg > 0:  # the very expression of validation._check_spike
            expected = avg * Decimal(period) / Decimal(86400)
            if expected > 0 and used > self.spike_factor * expected:
                return None
        return value, used, period

    def verdict(
        self,
        state: MeterState,
        raw: object,
        at: datetime,
        moved: tuple[int, datetime] | None = None,
    ) -> tuple[tuple[int, int | None, int | None] | None, list[Problem]]:
        """The reading's (value, consumption, period), or check()'s problems; moved: the file's last reading."""
        last, last_at = moved or (state.last_value, state.last_at)
        if (ok := self.fast(state, raw, at, last, last_at)) is not None:
            return ok, []
        if moved:
            state = replace(state, last_value=last, last_at=last_at)
        v = check(state, raw, at, now=self.now, spike_factor=self.spike_factor, tz=self.tz)
        if v.problems:
            return None, v.problems
        return (v.value, v.consumption, v.period_seconds), []  # type: ignore[return-value]


def _row_issue(row: int, serial: str, code: str, fld: str, **params: object) -> RowIssue:
    return RowIssue(row, serial, code, fld, _(ROW_MESSAGES[code], **params))


def _problem_issue(row: int, serial: str, p: Problem) -> RowIssue:
    message = p.message if p.refused else f"{p.message} {_(CONFIRM_IN_FILE)}"
    return RowIssue(row, serial, p.code.value, FIELDS.get(p.field, p.field), message, needs_confirmation=not p.refused)


# A row whose serial and time could be read: (read_at, row number, serial, value, note).
Parsed = tuple[datetime, int, str, object, str]


def _parse_rows(rows: list[RawRow], tz: tzinfo, issues: list[RowIssue]) -> list[Parsed]:
    """Serial, time and note of each row; rows whose serial or time cannot be read are reported here."""
    times: dict[object, datetime | None] = {}  # a file often repeats its times: parse each text once
    out: list[Parsed] = []
    for n, serial, raw_at, value, note in rows:
        serial = _text(serial)
        if type(raw_at) is str:
            if (at := times.get(raw_at, False)) is False:
                at = times[raw_at] = parse_read_at(raw_at, tz)
        else:
            at = parse_read_at(raw_at, tz)
        note = _text(note) if note else ""
        if not serial:
            issues.append(_row_issue(n, serial, MISSING_SERIAL, "meter_serial"))
        elif at is None:
            text = _text(raw_at)
            if not text:
                issues.append(_row_issue(n, serial, MISSING_READ_AT, "read_at"))
            elif read_at_out_of_range(raw_at):
                first, last = YEARS.start, YEARS.stop - 1
                issues.append(_row_issue(n, serial, READ_AT_OUT_OF_RANGE, "read_at", text=text, first=first, last=last))
            else:
                issues.append(_row_issue(n, serial, BAD_READ_AT, "read_at", text=text))
        elif len(note) > NOTE_MAX:
            issues.append(_row_issue(n, serial, NOTE_TOO_LONG, "note", max=NOTE_MAX))
        else:
            out.append((at, n, serial, value, note))
    return out


def _check_rows(
    session: Session,
    compound_id: int,
    parsed: list[Parsed],
    meters: dict[str, tuple[int, MeterState]],
    checker: Checker,
    report: ImportReport,
    progress: Progress | None,
) -> list[tuple[Any, ...]]:
    """Rows to insert (meter_id, read_at, value, consumption, period, note), in read_at order, each checked
    against the meter's reading before it. The spike rule keeps the recent average from before the file.
    Rows identical to a stored reading go to report.already_saved; the others' problems to report.issues."""
    parsed.sort(key=itemgetter(0))  # stable: rows of one meter at one time stay in file order
    issues, origins = report.issues, report._origins
    accepted: list[tuple[Any, ...]] = []
    moved: dict[int, tuple[int, datetime, int]] = {}  # the last reading accepted from the file (and its row)
    stored_before: list[tuple[datetime, int, str, object, int, MeterState]] = []
    total = len(parsed)
    fast, verdict = checker.fast, checker.verdict
    for i, (at, n, serial, value, note) in enumerate(parsed, start=1):
        if (hit := meters.get(serial)) is None:
            issues.append(_problem_issue(n, serial, Problem(Code.unknown_meter, "meter", {"serial": serial})))
            continue
        meter_id, state = hit
        last = moved.get(meter_id)
        # Most rows: the fast path; the rest (and every problem) through check() itself.
        if last:
            ok = fast(state, value, at, last[0], last[1])
        else:
            ok = fast(state, value, at, state.last_value, state.last_at)
            if ok is None and state.last_at is not None and at <= state.last_at:
                # Perhaps a reading saved already (the file imported before): looked up together, below.
                stored_before.append((at, n, serial, value, meter_id, state))
                continue
        if ok is None:
            ok, problems = verdict(state, value, at, last[:2] if last else None)
            if ok is None:
                issues.extend(_file_issue(n, serial, p, last, checker.tz) for p in problems)
                continue
        moved[meter_id] = (ok[0], at, n)
        accepted.append((meter_id, at, *ok, note))
        origins.append((n, serial))
        if progress and i % BATCH == 0:
            progress("check", i, total)
    if stored_before:
        _already_saved(session, compound_id, stored_before, checker, report)
    if progress:
        progress("check", total, total)
    return accepted


def _file_issue(n: int, serial: str, p: Problem, earlier: tuple[int, datetime, int] | None, tz: tzinfo) -> RowIssue:
    """The problem as the row's issue; a duplicate of an earlier row of the file says which row."""
    if p.code == Code.duplicate and earlier is not None:
        value, at, row = earlier
        return _row_issue(n, serial, DUPLICATE_IN_FILE, "value", earlier=row, value=fmt(value), at=show_time(at, tz))
    return _problem_issue(n, serial, p)


def _already_saved(
    session: Session,
    compound_id: int,
    rows: list[tuple[datetime, int, str, object, int, MeterState]],
    checker: Checker,
    report: ImportReport,
) -> None:
    """Rows at or before their meter's last reading: identical to a stored reading (same meter, time and
    value) they were saved before — an import run again — and are neither saved again nor refused; any other
    is checked, and refused, as usual."""
    meter_ids = sorted({r[4] for r in rows})
    q = sa.select(R.meter_id, R.read_at, R.value_milli).where(
        R.compound_id == compound_id,
        R.read_at >= min(r[0] for r in rows),
        R.read_at <= max(r[0] for r in rows),
        R.superseded_by_id.is_(None),
        R.source != ReadingSource.estimated.value,
    )
    if len(meter_ids) <= 1000:  # else the compound's readings of those days, without a long IN list
        q = q.where(R.meter_id.in_(meter_ids))
    stored = {(mid, at): value for mid, at, value in session.execute(q).all()}
    for at, n, serial, raw, meter_id, state in rows:
        value = stored.get((meter_id, at))
        if value is not None and _value_of(raw) == value:
            report.already_saved.append(SavedRow(n, serial, at, value, already=True))
            continue
        _, problems = checker.verdict(state, raw, at)
        report.issues.extend(_problem_issue(n, serial, p) for p in problems)


def _value_of(raw: object) -> int | None:
    try:
        return parse_value(raw)  # type: ignore[arg-type]
    except BadValue:
        return None


# --- loading and saving ----------------------------------------------------------------------------------

M = Meter.__table__.c
R = Reading.__table__.c


def _meters(session: Session, compound_id: int, serials: set[str], now: datetime) -> dict[str, tuple[int, MeterState]]:
    """The file's meters by serial, with their last readings; locked against a clerk's reading meanwhile."""
    ids: list[int] | None = None
    if session.get_bind().dialect.name != "sqlite":
        # Claim the rows as record_reading does, so a reading saved meanwhile cannot slip past the checks.
        listed = sa.bindparam("serials", sorted(serials), type_=sa.ARRAY(sa.String))
        q = sa.select(M.id).where(M.compound_id == compound_id, M.serial == sa.any_(listed))
        ids = list(session.execute(q.order_by(M.id).with_for_update()).scalars())
    elif len(serials) <= 1000:  # SQLite holds the whole database once it writes: no rows to claim
        q = sa.select(M.id).where(M.compound_id == compound_id, M.serial.in_(sorted(serials)))
        ids = list(session.execute(q).scalars())
    few = ids is not None and len(ids) <= 1000  # else every meter of the compound, without a long IN list
    states = load_states(session, compound_id=compound_id, meter_ids=ids if few else None, now=now)
    return {s.serial: (mid, s) for mid, s in states.items() if s.serial in serials}


# Columns bound row by row, in the table's order (the order the compiled INSERT asks for them).
_VARYING = ("meter_id", "read_at", "value_milli", "consumption_milli", "period_seconds", "read_by", "note")


def _literal(column: sa.Column, value: object, dialect: sa.Dialect) -> sa.ColumnElement:
    """A value every row shares, written into the statement as its type renders it (ids and codes only)."""
    if value is None:
        return sa.null()
    text = sa.literal(value, type_=column.type).compile(dialect=dialect, compile_kwargs={"literal_binds": True})
    return sa.literal_column(str(text))


def _insert(
    session: Session,
    *,
    constants: dict[str, Any],
    read_by: str,
    rows: list[tuple[Any, ...]],
    progress: Progress | None,
) -> None:
    """INSERT the rows in batches: Core compiles the statement once, the driver's executemany sends them.

    session.execute(insert(table), dicts) builds and binds a parameter dict per row, which doubled the time
    of a 100,000-row import. Here the shared values are literals in the statement, and each row's values
    are bound as their column's type binds them: read_at once per distinct time, any other column with a
    bind processor row by row.
    """
    conn = session.connection()
    dialect = conn.dialect
    table = Reading.__table__
    values = {k: _literal(table.c[k], v, dialect) for k, v in constants.items()}
    stmt = sa.insert(table).values({**values, **{k: sa.bindparam(k) for k in _VARYING}}).inline()
    compiled = stmt.compile(dialect=dialect)
    sql = str(compiled)
    procs = {k: table.c[k].type.dialect_impl(dialect).bind_processor(dialect) for k in _VARYING}
    at_proc = procs["read_at"] or (lambda v: v)
    others = [(i, p) for i, k in enumerate(_VARYING) if k != "read_at" and (p := procs[k])]
    order = tuple(compiled.positiontup) if compiled.positional else None
    at_cache: dict[datetime, Any] = {}
    for start in range(0, len(rows), BATCH):
        batch: list[Any] = []
        for meter_id, at, value, used, period, note in rows[start : start + BATCH]:
            if (bound := at_cache.get(at)) is None:
                bound = at_cache[at] = at_proc(at)
            batch.append((meter_id, bound, value, used, period, read_by, note))
        if others:
            batch = [tuple(p(v) if (p := dict(others).get(i)) else v for i, v in enumerate(b)) for b in batch]
        if order != _VARYING:  # named parameters (psycopg), or another column order
            batch = [dict(zip(_VARYING, b, strict=True)) for b in batch]
            if order is not None:
                batch = [tuple(d[k] for k in order) for d in batch]
        conn.exec_driver_sql(sql, batch)
        if progress:
            progress("save", min(start + BATCH, len(rows)), len(rows))


def _supersede_estimates(session: Session, compound_id: int, meter_ids: set[int], after_id: int) -> int:
    """Counted estimates of the imported meters stand replaced by each meter's first imported reading."""
    estimated = (
        set(
            session.execute(
                sa.select(R.meter_id)
                .distinct()
                .where(
                    R.compound_id == compound_id,
                    R.source == ReadingSource.estimated.value,
                    R.superseded_by_id.is_(None),
                )
            ).scalars()
        )
        & meter_ids
    )
    if not estimated:
        return 0
    r2 = Reading.__table__.alias("new")
    first_new = (
        sa.select(sa.func.min(r2.c.id))
        .where(
            r2.c.compound_id == compound_id,
            r2.c.meter_id == R.meter_id,
            r2.c.id > after_id,
            r2.c.source == ReadingSource.import_.value,
        )
        .scalar_subquery()
    )
    result = session.execute(
        sa.update(Reading.__table__)
        .where(
            R.compound_id == compound_id,
            R.meter_id.in_(sorted(estimated)),
            R.source == ReadingSource.estimated.value,
            R.superseded_by_id.is_(None),
        )
        .values(superseded_by_id=first_new)
    )
    return result.rowcount or 0


# --- the service -----------------------------------------------------------------------------------------


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: the 100,000s of rows are acyclic tuples, and allocating them made
    it sweep again and again (a seventh of a 100,000-row import). Reference counting still frees them."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@_gc_paused()
def import_readings(
    session: Session,
    *,
    compound: Compound,
    rows: list[RawRow],
    partial: bool = False,
    read_by: str = "",
    source: str = "",
    now: datetime | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Check every row as single entry would and save them in bulk: all or nothing, or (partial) the valid ones.

    Raises ImportRefused with the full report when nothing is saved. source (the file's name) is for the trail.
    """
    now = now or clock.now()
    tz = clock.tz_of(compound)
    report = ImportReport(partial=partial, total=len(rows), tz=tz)
    if not rows:
        raise ImportFileError(_("The file has a header but no readings."), field="file")
    parsed = _parse_rows(rows, tz, report.issues)
    meters = _meters(session, compound.id, {p[2] for p in parsed}, now)
    checker = Checker(now=now, spike_factor=Decimal(compound.spike_factor), tz=tz)
    accepted = _check_rows(session, compound.id, parsed, meters, checker, report, progress)
    report.issues.sort(key=lambda i: i.row)
    if report.issues and (not partial or not accepted):
        report._origins.clear()  # nothing of the file is kept
        raise ImportRefused(_("Nothing was saved.") + " " + report.summary(), report)
    report._accepted = accepted
    if accepted:
        _save(session, compound, accepted, read_by, progress)
    report.saved = len(accepted)
    # The trail's listener sees ORM changes only: the bulk insert gets one entry of its own.
    summary = f"{report.saved} of {report.total} readings imported ({report.mode})"
    if report.already_saved:
        summary += f", {len(report.already_saved)} saved before"
    record(
        session,
        action="import",
        object_type="reading",
        compound_id=compound.id,
        summary=f"{source}: {summary}" if source else summary,
        after={
            "mode": report.mode,
            "total": report.total,
            "saved": report.saved,
            "already_saved": len(report.already_saved),
            "refused": report.refused,
        },
    )
    return report


def _save(
    session: Session, compound: Compound, accepted: list[tuple[Any, ...]], read_by: str, progress: Progress | None
) -> None:
    """The accepted rows inserted in bulk; the estimates they replace superseded."""
    after_id = session.execute(
        sa.select(sa.func.coalesce(sa.func.max(R.id), 0)).where(R.compound_id == compound.id)
    ).scalar_one()
    constants = {
        "compound_id": compound.id,
        "rollover": False,
        "source": ReadingSource.import_.value,
        "kind": ReadingKind.regular.value,
        "confirmed": "",
        "superseded_by_id": None,
    }
    _insert(session, constants=constants, read_by=read_by, rows=accepted, progress=progress)
    _supersede_estimates(session, compound.id, {r[0] for r in accepted}, after_id)


@_gc_paused()
def import_file(
    session: Session,
    *,
    compound: Compound,
    data: bytes,
    filename: str,
    partial: bool = False,
    read_by: str = "",
    now: datetime | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Read a .csv or .xlsx file and import its rows (see import_readings)."""
    rows = read_table(data, filename, progress=progress)
    return import_readings(
        session,
        compound=compound,
        rows=rows,
        partial=partial,
        read_by=read_by,
        source=filename,
        now=now,
        progress=progress,
    )


def find_compound(session: Session, *, ref: str | None) -> Compound:
    """A compound by code or id; with no ref, the only compound there is."""
    if ref is None:
        found = session.execute(sa.select(Compound).limit(2)).scalars().all()
        if len(found) == 1:
            return found[0]
        if not found:
            raise NotFound(_("The database holds no compound yet."), field="compound")
        raise NotFound(_("The database holds several compounds: name one by its code or id."), field="compound")
    compound = session.execute(sa.select(Compound).where(Compound.code == ref)).scalar_one_or_none()
    if compound is None and ref.isdigit():
        compound = session.get(Compound, int(ref))
    if compound is None:
        raise NotFound(_("No compound with code or id “%(ref)s”.", ref=ref), field="compound")
    return compound
