"""What each meter of the demo really measured, month by month, and what flows past the meters.

Leaves (billing meters) get a seasonal use of their own. Inner meters measure their children plus an
`extra`: pipe and cable losses, unmetered use and, on the master meters, the leak and the transformers.
That extra is exactly the gap a reconciliation will find between a meter and the sum below it.
"""

import random
from collections.abc import Callable
from datetime import datetime, time
from decimal import Decimal

from compound.shell.demo import consumption as c
from compound.shell.demo import names
from compound.shell.demo.chain import registered, through
from compound.shell.demo.plan import HouseholdPlan, MeterNode, TreePlan, UnmeteredPlan
from meters.models import MeterRole, UnmeteredCategory, Utility

Recorded = dict[str, list[int]]  # child serial → what it recorded in each month k (index 0 unused)


def assign_usage(plan: TreePlan, households: list[HouseholdPlan], calendar: c.Calendar, seed: str) -> None:
    """Fill in the use of every leaf meter and unmetered use, and the extra of every inner meter."""
    rng = random.Random(f"{seed}:usage")
    by_code = {h.code: h for h in households}
    units = {u.code: u for u in names.OFFICE_UNITS}
    for node in plan.meters.values():
        if node.children or node.replaces:
            continue  # inner meters follow their children; a replacement meter takes over its flat's use
        if node.account in by_code:
            node.use = _household_use(node, by_code[node.account], calendar, rng)
        elif node.account in units:
            node.use = _office_use(
                node, units[node.account].kwh_per_month, units[node.account].m3_per_month, calendar, rng
            )
        else:
            node.use = _special_use(node, calendar, rng)
    for u in plan.unmetered:
        u.actual = _unmetered_actual(u, calendar, rng)
    _assign_extras(plan, calendar)


def _months(calendar: c.Calendar) -> range:
    return range(1, len(calendar.rounds))


def _occupied_seconds(h: HouseholdPlan, start: datetime, end: datetime) -> int:
    moved_in = datetime.combine(h.move_in, time(), tzinfo=c.TZ)
    moved_out = datetime.combine(h.move_out, time(), tzinfo=c.TZ) if h.move_out else end
    a, b = max(start, moved_in), min(end, moved_out)
    return max(0, int((b - a).total_seconds()))


def _household_use(node: MeterNode, h: HouseholdPlan, calendar: c.Calendar, rng: random.Random) -> list[int]:
    water = node.utility == Utility.water
    base = (
        (2500 * h.persons + rng.randint(0, 3000))
        if water
        else (60_000 + 45_000 * h.persons + rng.randint(-20_000, 60_000))
    )
    table = c.HOME_WATER if water else c.HOME_ELECTRICITY
    use = [0]
    for k in _months(calendar):
        occupied = _occupied_seconds(h, calendar.rounds[k - 1], calendar.rounds[k])
        used = c.monthly_use(
            base,
            season_permille=c.season(table, calendar.months[k]),
            seconds=occupied,
            noise_permille=c.noise(rng, 120),
        )
        if not water:  # a fridge left on, a router: an empty flat still turns the meter a little
            used += 900 * (calendar.seconds(k) - occupied) // c.AVERAGE_MONTH_SECONDS
        use.append(used)
    return use


def _office_use(node: MeterNode, kwh: int, m3: int, calendar: c.Calendar, rng: random.Random) -> list[int]:
    water = node.utility == Utility.water
    base = (m3 if water else kwh) * 1000
    table = c.OFFICE_WATER if water else c.OFFICE_ELECTRICITY
    return [0] + [
        c.monthly_use(
            base,
            season_permille=c.season(table, calendar.months[k]),
            seconds=calendar.seconds(k),
            noise_permille=c.noise(rng, 70),
        )
        for k in _months(calendar)
    ]


def _special_use(node: MeterNode, calendar: c.Calendar, rng: random.Random) -> list[int]:
    """The auditorium and meeting building (meetings, and the annual sessions in January), the boiler house."""
    water = node.utility == Utility.water
    use = [0]
    for k in _months(calendar):
        month = calendar.months[k]
        events = rng.randint(0, 3)
        if node.serial == "W-CONF":
            base, per_event, sessions = 35_000, 6_000, 90_000
        elif node.serial == "E-AUD":
            base, per_event, sessions = 1_800_000, 700_000, 5_200_000
        elif node.serial == "E-MEET":
            base, per_event, sessions = 3_300_000, 300_000, 900_000
        else:  # the boiler and pump house: circulation pumps and make-up water in the heating season
            base = (
                (55_000 + 70_000 * c.season(c.HEATING, month))
                if water
                else (3_800_000 + 4_200_000 * c.season(c.HEATING, month))
            )
            per_event = sessions = 0
        table = c.OFFICE_WATER if water else c.OFFICE_ELECTRICITY
        used = c.monthly_use(
            base, season_permille=c.season(table, month), seconds=calendar.seconds(k), noise_permille=c.noise(rng, 60)
        )
        use.append(used + events * per_event + (sessions if month.month == 1 else 0))
    return use


def _unmetered_actual(u: UnmeteredPlan, calendar: c.Calendar, rng: random.Random) -> list[int]:
    out = [0]
    for k in _months(calendar):
        month, seconds = calendar.months[k], calendar.seconds(k)
        if u.category == UnmeteredCategory.landscaping:
            used = c.landscaping_milli(
                area_m2=u.area_m2 or 0, seconds=seconds, ml_per_m2_day=c.season(c.LANDSCAPING_ML_PER_M2_DAY, month)
            )
        elif u.category in (UnmeteredCategory.courtyard_lamps, UnmeteredCategory.street_lights):
            hours = (
                c.COURTYARD_LAMP_HOURS_X10
                if u.category == UnmeteredCategory.courtyard_lamps
                else (c.STREET_LIGHT_HOURS_X10)
            )
            used = c.lamps_milli(
                count=u.lamp_count or 0,
                watts=u.lamp_watts or 0,
                seconds=seconds,
                hours_x10=c.season(hours, month),
                working_permille=rng.randint(880, 1000),
            )
        else:
            fixed = int(Decimal(u.fixed_per_month or "0") * 1000)
            used = c.monthly_use(fixed, season_permille=1000, seconds=seconds, noise_permille=c.noise(rng, 200))
        out.append(used)
    return out


def _assign_extras(plan: TreePlan, calendar: c.Calendar) -> None:
    unmetered: dict[str, list[list[int]]] = {}
    for u in plan.unmetered:
        unmetered.setdefault(u.parent, []).append(u.actual)
    months = len(calendar.rounds)

    def extra(
        serial: str, *, permille: int = 0, squared: bool = False, plus: Callable[[Recorded], list[int]] | None = None
    ) -> Callable[[Recorded], list[int]]:
        def f(recorded: Recorded) -> list[int]:
            own = [sum(col) for col in zip(*unmetered.get(serial, [[0] * months]), strict=True)]
            carried = [sum(col) for col in zip(*recorded.values(), strict=True)]
            flow = [a + b for a, b in zip(carried, own, strict=True)]
            loss = c.line_loss_milli(flow, base_permille=permille) if squared else [x * permille // 1000 for x in flow]
            more = plus(recorded) if plus else [0] * months
            return [a + b + m for a, b, m in zip(own, loss, more, strict=True)]

        return f

    def missed_by(serial: str) -> Callable[[Recorded], list[int]]:
        """What the stopped meters under it let through unregistered: it flows on as the block meter's loss."""
        stopped = [n for n in plan.meters.values() if n.parent == serial and n.slow]
        return lambda _recorded: (
            [0] + [sum(through(n, k) - registered(n, k) for n in stopped if k in n.slow) for k in range(1, months)]
        )

    def leak(_recorded: Recorded) -> list[int]:
        return [0] + [c.leak_milli(calendar.rounds[k - 1], calendar.rounds[k]) for k in range(1, months)]

    def transformers(recorded: Recorded) -> list[int]:
        plates = {p.name: p for p in c.TRANSFORMERS}
        lv = {"E-T1": plates["1号变压器"], "E-T2": plates["2号变压器"]}
        return [0] + [
            sum(c.transformer_loss_milli(lv[s], lv_milli=recorded[s][k], seconds=calendar.seconds(k)) for s in lv)
            for k in range(1, months)
        ]

    plans = {
        "W-MAIN": extra("W-MAIN", plus=leak),
        "W-OFFICE": extra("W-OFFICE", permille=5),
        "W-LIVING": extra("W-LIVING", permille=4),
        "W-B1": extra("W-B1", permille=6, plus=missed_by("W-B1")),
        "W-B2": extra("W-B2", permille=6, plus=missed_by("W-B2")),
        "E-HV": extra("E-HV", permille=2, plus=transformers),
        "E-T1": extra("E-T1", permille=5, squared=True),
        "E-T2": extra("E-T2", permille=5, squared=True),
        "E-OFFICE": extra("E-OFFICE", permille=18, squared=True),
        "E-LIVING": extra("E-LIVING", permille=22, squared=True),
        "E-B1": extra("E-B1", permille=12, squared=True),
        "E-B2": extra("E-B2", permille=12, squared=True),
    }
    for serial, f in plans.items():
        node = plan.meters[serial]
        assert node.role != MeterRole.billing and node.children, serial
        node.extra = f
