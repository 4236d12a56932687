"""Turn what each meter measured into its readings, exactly as the reading service would have stored them.

Every real reading counts from the meter's previous real reading; an estimate counts from the newest
reading still counted, and stops counting once the next real reading supersedes it. consumption_milli,
period_seconds, rollover and the confirmed "spike" warning are computed by the rules of
meters.readings.service.record_reading and estimate_reading, so the demo is data those services could have made.
"""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from compound.kit.i18n import gettext as _
from compound.shell.demo.consumption import Calendar
from compound.shell.demo.plan import MeterNode
from meters.models import ReadingKind, ReadingSource
from meters.quantity import rollover_milli
from meters.readings.service import AVERAGE_WINDOW, MIN_AVERAGE_SECONDS
from meters.readings.validation import Code

INITIAL_AFTER_FINAL = timedelta(minutes=25)  # the new meter's first reading, after the old one's last


@dataclass(frozen=True)
class Point:
    """A moment the meter could be read: which month it closes, when, and the true use so far."""

    k: int
    at: datetime
    cum: int  # use since the meter's first reading, thousandths after the multiplier
    kind: ReadingKind = ReadingKind.regular


@dataclass
class _Real:
    """A real reading, as the averages behind spikes and estimates see it."""

    at: datetime
    consumption: int | None
    period: int | None


class RoundTimes:
    """When each meter is read on each round: the round's start, the meter's place on it, the reader's pace."""

    def __init__(self, calendar: Calendar, seed: str):
        self.calendar = calendar
        self.seed = seed
        self._late: dict[str, list[int]] = {}

    def at(self, node: MeterNode, k: int) -> datetime:
        if node.reader not in self._late:
            rng = random.Random(f"{self.seed}:pace:{node.reader}")
            self._late[node.reader] = [rng.randint(0, 600) for _ in self.calendar.rounds]
        seconds = node.offset_seconds + self._late[node.reader][k]
        return self.calendar.rounds[k] + timedelta(seconds=seconds)


def dial(node: MeterNode, cum: int) -> int:
    """The register's figure (unwrapped) after `cum` of use: the start plus whole steps of the dials."""
    return node.start_milli + cum // (node.multiplier * node.step_milli) * node.step_milli


def points(node: MeterNode, meters: dict[str, MeterNode], times: RoundTimes) -> list[Point]:
    """Every moment the meter could be read, with its cumulative use; a replaced flat's use is split in two."""
    months = len(times.calendar.rounds) - 1
    if node.replaces:
        old = meters[node.replaces]
        rep = old.replacement
        assert rep is not None
        cum = old.use[rep.k] - old.use[rep.k] * rep.before_permille // 1000
        out = [
            Point(rep.k, rep.at + INITIAL_AFTER_FINAL, 0, ReadingKind.initial),
            Point(rep.k, times.at(node, rep.k), cum),
        ]
        for k in range(rep.k + 1, months + 1):
            cum += old.use[k]
            out.append(Point(k, times.at(node, k), cum))
        return out
    out, cum = [Point(0, times.at(node, 0), 0)], 0
    for k in range(1, months + 1):
        if node.replacement and k == node.replacement.k:
            cum += registered(node, k)
            out.append(Point(k, node.replacement.at, cum, ReadingKind.final))
            break
        cum += registered(node, k)
        out.append(Point(k, times.at(node, k), cum))
    return out


def through(node: MeterNode, k: int) -> int:
    """What flowed through the meter in month k (up to its replacement, in the month of it)."""
    if node.replacement and k == node.replacement.k:
        return node.use[k] * node.replacement.before_permille // 1000
    return node.use[k]


def registered(node: MeterNode, k: int) -> int:
    """What of it the meter registered (a stopped meter: a trickle)."""
    return through(node, k) * node.slow.get(k, 1000) // 1000


def recorded_by_month(node: MeterNode, pts: list[Point], months: int) -> list[int]:
    """What the meter's dials show was used in each month k (whether or not anybody read them)."""
    out = [0] * (months + 1)
    for prev, p in zip(pts, pts[1:], strict=False):
        if p.kind != ReadingKind.initial:
            out[p.k] += (dial(node, p.cum) - dial(node, prev.cum)) * node.multiplier
    return out


def reading_rows(
    node: MeterNode, pts: list[Point], *, compound_id: int, meter_id: int, spike_factor: Decimal
) -> list[dict]:
    """The readings of one meter, with the fields record_reading and estimate_reading would have set."""
    wrap = rollover_milli(node.dials)
    rows: list[dict] = []
    history: list[_Real] = []
    last_real: tuple[int, datetime] | None = None  # unwrapped dial figure, when
    last_kept: tuple[int, datetime] | None = None  # the newest reading still counted (register figure)
    for p in pts:
        if p.k in node.missed and p.kind == ReadingKind.regular:
            if p.k in node.estimated and last_kept is not None:
                row = _estimate(node, p.at, last_kept, history, wrap)
                if row is not None:
                    rows.append({**row, "compound_id": compound_id, "meter_id": meter_id})
                    last_kept = (row["value_milli"], p.at)
            continue
        figure = dial(node, p.cum)
        consumption = period = None
        rollover, confirmed = False, ""
        if last_real is not None:
            used = figure - last_real[0]
            assert 0 <= used < wrap, (node.serial, p)
            consumption = used * node.multiplier
            period = int((p.at - last_real[1]).total_seconds())
            rollover = figure % wrap < last_real[0] % wrap
            if _is_spike(history, p.at, consumption, period, spike_factor):
                confirmed = Code.spike.value
        rows.append(
            {
                "compound_id": compound_id,
                "meter_id": meter_id,
                "read_at": p.at,
                "value_milli": figure % wrap,
                "consumption_milli": consumption,
                "period_seconds": period,
                "rollover": rollover,
                "source": ReadingSource.manual.value,
                "kind": p.kind.value,
                "read_by": node.reader,
                "note": _note(node, p, rollover, rows),
                "confirmed": confirmed,
            }
        )
        history.append(_Real(p.at, consumption, period))
        last_real, last_kept = (figure, p.at), (figure % wrap, p.at)
    return rows


def _average_daily(history: list[_Real], now: datetime) -> Decimal | None:
    """meters.readings.service.load_states: real use over real time in the last year, if 20 days or more."""
    since = now - AVERAGE_WINDOW
    window = [c for c in history if c.consumption is not None and c.period is not None and c.at >= since]
    if not window:
        return None
    used = sum(c.consumption or 0 for c in window)
    seconds = sum(c.period or 0 for c in window)
    if not seconds or seconds < MIN_AVERAGE_SECONDS:
        return None
    return Decimal(used) * 86400 / Decimal(seconds)


def _is_spike(history: list[_Real], at: datetime, consumption: int, period: int, factor: Decimal) -> bool:
    """meters.readings.validation._check_spike."""
    avg = _average_daily(history, at)
    if not avg or avg <= 0:
        return False
    expected = avg * Decimal(period) / Decimal(86400)
    return expected > 0 and consumption > factor * expected


def _estimate(
    node: MeterNode, at: datetime, last_kept: tuple[int, datetime], history: list[_Real], wrap: int
) -> dict | None:
    """meters.readings.service.estimate_reading, made on the round the meter was missed."""
    avg = _average_daily(history, at)
    if avg is None:
        return None
    seconds = int((at - last_kept[1]).total_seconds())
    # Never a full turn of the register, which one rollover flag could not say.
    step = min(int(avg * seconds / 86400) // node.multiplier, wrap - 1)
    value = last_kept[0] + step
    rollover = value >= wrap
    return {
        "read_at": at,
        "value_milli": value - wrap if rollover else value,
        "consumption_milli": step * node.multiplier,
        "period_seconds": seconds,
        "rollover": rollover,
        "source": ReadingSource.estimated.value,
        "kind": ReadingKind.regular.value,
        "read_by": "",
        "note": _("Estimated from the average daily use"),
        "confirmed": "",
    }


def _note(node: MeterNode, p: Point, rollover: bool, rows: list[dict]) -> str:
    if p.kind == ReadingKind.final and node.replacement:
        return node.replacement.note_final
    if p.kind == ReadingKind.initial and node.replaces:
        return "新表安装，起始读数"
    if rollover:
        return "表码走满一圈归零"
    if p.k - 1 in node.missed and rows:
        return "上月未抄到（住户不在家），本月补抄"
    return ""
