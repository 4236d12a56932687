"""The demo compound: deterministic, a sound meter tree, readings the services could have made, visible gaps."""

import hashlib
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlmodel import Session

import compound.shell.demo as demo_cli
from compound.kit import clock, i18n
from compound.kit.db import make_engine
from compound.kit.unit_of_work import session_scope
from compound.register.models import Account, Compound, Payer
from compound.shell.demo import build_demo, summary
from compound.shell.migrate import upgrade
from meters.models import Meter, MeterRole, Reading, Seal, Transformer, UnmeteredUse
from meters.quantity import rollover_milli, to_decimal
from meters.readings.service import estimate_reading, record_reading
from tests.factories import make_compound, make_meter

SMALL = 40
TZ = ZoneInfo("Asia/Shanghai")
M, R, A = Meter.__table__.c, Reading.__table__.c, Account.__table__.c


@pytest.fixture
def small(session: Session):
    return build_demo(session, households=SMALL, code="DEMO-S")


@pytest.fixture
def english():
    """The command's messages in their English source form, whatever catalogs are compiled."""
    i18n.set_locale("en")
    yield
    i18n.set_locale(i18n.LOCALES[0])


def _rows(session: Session, query: sa.Select) -> list[tuple]:
    return [tuple(r) for r in session.execute(query)]


def fingerprint(session: Session, compound_id: int) -> str:
    """A digest of everything the demo holds, without ids (which differ between databases)."""
    parent, account = Meter.__table__.alias("p"), Account.__table__.alias("a")
    meters = (
        sa.select(
            M.serial,
            M.utility,
            M.role,
            M.multiplier,
            M.dials,
            M.location,
            M.walk_order,
            M.installed_date,
            M.removed_date,
            M.status,
            M.hv_side,
            parent.c.serial,
            account.c.code,
        )
        .select_from(
            Meter.__table__.outerjoin(parent, parent.c.id == M.parent_id).outerjoin(
                account, account.c.id == M.account_id
            )
        )
        .where(M.compound_id == compound_id)
        .order_by(M.serial)
    )
    accounts = (
        sa.select(A.code, A.kind, A.name, A.flat, A.phone, A.payer, A.move_in_date, A.move_out_date)
        .where(A.compound_id == compound_id)
        .order_by(A.code)
    )
    readings = (
        sa.select(
            M.serial,
            R.read_at,
            R.value_milli,
            R.consumption_milli,
            R.period_seconds,
            R.rollover,
            R.source,
            R.kind,
            R.read_by,
            R.note,
            R.confirmed,
            R.superseded_by_id.is_(None),
        )
        .join(Meter.__table__, M.id == R.meter_id)
        .where(R.compound_id == compound_id)
        .order_by(M.serial, R.read_at)
    )
    S = Seal.__table__.c
    seals = (
        sa.select(M.serial, S.number, S.sealed_date, S.sealed_by, S.broken_date, S.broken_note)
        .join(Meter.__table__, M.id == S.meter_id)
        .where(S.compound_id == compound_id)
        .order_by(S.number)
    )
    U = UnmeteredUse.__table__.c
    unmetered = (
        sa.select(U.name, U.rule, U.fixed_per_month, U.lamp_count, U.area_m2)
        .where(U.compound_id == compound_id)
        .order_by(U.name)
    )
    digest = hashlib.sha256()
    for q in (meters, accounts, readings, seals, unmetered):
        for row in _rows(session, q):
            digest.update(repr(row).encode())
    return digest.hexdigest()


def monthly(session: Session, compound_id: int, serials: list[str]) -> dict[str, dict[str, int]]:
    """Counted consumption of each meter by the month (Beijing time) of its readings."""
    out: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    q = (
        sa.select(M.serial, R.read_at, R.consumption_milli)
        .join(Meter.__table__, M.id == R.meter_id)
        .where(
            R.compound_id == compound_id,
            M.serial.in_(serials),
            R.superseded_by_id.is_(None),
            R.consumption_milli.is_not(None),
        )
    )
    for serial, at, used in session.execute(q):
        out[serial][at.astimezone(TZ).strftime("%Y-%m")] += used
    return out


def check_chains(session: Session, compound_id: int) -> int:
    """Recompute consumption_milli, period_seconds and rollover of every reading from the values alone."""
    meters = {
        mid: (dials, mult)
        for mid, dials, mult in session.execute(
            sa.select(M.id, M.dials, M.multiplier).where(M.compound_id == compound_id)
        )
    }
    q = (
        sa.select(
            R.id,
            R.meter_id,
            R.read_at,
            R.value_milli,
            R.consumption_milli,
            R.period_seconds,
            R.rollover,
            R.source,
            R.superseded_by_id,
        )
        .where(R.compound_id == compound_id)
        .order_by(R.meter_id, R.read_at, R.id)
    )
    by_meter: dict[int, list] = defaultdict(list)
    for row in session.execute(q):
        by_meter[row.meter_id].append(row)
    checked = 0
    for meter_id, readings in by_meter.items():
        dials, mult = meters[meter_id]
        wrap = rollover_milli(dials)
        last_real = last_kept = None
        pending = []
        for r in readings:
            estimated = r.source == "estimated"
            base = last_kept if estimated else last_real
            if base is None:
                assert not estimated and r.consumption_milli is None and r.period_seconds is None and not r.rollover
            else:
                assert r.rollover == (r.value_milli < base.value_milli), r
                diff = r.value_milli - base.value_milli + (wrap if r.rollover else 0)
                assert 0 <= diff < wrap
                assert r.consumption_milli == diff * mult, r
                assert r.period_seconds == int((r.read_at - base.read_at).total_seconds()), r
            if estimated:
                pending.append(r)
                last_kept = r
            else:
                assert r.superseded_by_id is None
                assert all(e.superseded_by_id == r.id for e in pending), pending
                pending = []
                last_real = last_kept = r
            checked += 1
        assert not pending, "an estimate was never superseded"
    return checked


def test_the_demo_is_the_same_whatever_the_day_it_is_built(session):
    a = build_demo(session, households=SMALL, code="DEMO-A")
    clock.set_clock(lambda: datetime(2031, 3, 5, 17, 45, tzinfo=UTC))
    b = build_demo(session, households=SMALL, code="DEMO-B")
    assert a.calendar == b.calendar and a.habits == b.habits
    assert fingerprint(session, a.compound_id) == fingerprint(session, b.compound_id)


def test_a_different_seed_gives_a_different_compound(session):
    a = build_demo(session, households=SMALL, code="DEMO-A")
    b = build_demo(session, households=SMALL, code="DEMO-B", seed="another")
    assert fingerprint(session, a.compound_id) != fingerprint(session, b.compound_id)


def test_rounds_cover_24_months_on_the_25th_to_28th_around_nine(session, small):
    rounds = small.calendar.rounds
    assert len(rounds) == 25 and all(r.tzinfo is not None for r in rounds)
    local = [r.astimezone(TZ) for r in rounds]
    assert (local[0].year, local[0].month, local[-1].year, local[-1].month) == (2024, 10, 2026, 10)
    assert all(25 <= d.day <= 28 and (d.hour, d.minute) == (8, 30) for d in local)
    first, last = session.execute(
        sa.select(sa.func.min(R.read_at), sa.func.max(R.read_at)).where(R.compound_id == small.compound_id)
    ).one()
    assert first.astimezone(TZ).date() == local[0].date() and last < rounds[-1] + timedelta(hours=4)


def test_the_four_leading_bodies_and_their_meetings_are_paid_by_the_finance_bureau(session, small):
    payer = dict(
        session.execute(sa.select(A.name, A.payer).where(A.compound_id == small.compound_id, A.kind == "office")).all()
    )
    leading = [n for n in payer if n.startswith(("中共某区委员会", "某区人大常委会", "某区人民政府", "政协某区委员会"))]
    assert len(leading) == 4 and all(payer[n] == Payer.finance_bureau for n in leading)
    assert payer["区四套班子会务（大礼堂、会议楼）"] == Payer.finance_bureau
    assert payer["区财政局"] == Payer.self
    assert sum(p == Payer.self for p in payer.values()) >= 10
    assert sorted(small.finance_bureau_pays) == ["U01", "U02", "U03", "U04", "U15"]


def test_every_billing_meter_has_an_account_and_a_place_in_the_tree(session, small):
    meters = {r.id: r for r in session.execute(sa.select(Meter.__table__).where(M.compound_id == small.compound_id))}
    for m in meters.values():
        if m.role == MeterRole.billing:
            assert m.account_id is not None and m.parent_id is not None, m.serial
        if m.parent_id:
            assert meters[m.parent_id].utility == m.utility and meters[m.parent_id].role != MeterRole.billing
        if m.role != MeterRole.utility:
            assert m.parent_id or m.transformer_id, m.serial
    utility = {m.utility: m for m in meters.values() if m.role == MeterRole.utility}
    assert set(utility) == {"water", "electricity"} and utility["electricity"].hv_side
    assert utility["water"].dials in (6, 7) and utility["electricity"].multiplier == 1000
    transformers = session.execute(
        sa.select(Transformer.__table__).where(Transformer.__table__.c.compound_id == small.compound_id)
    ).all()
    assert {(t.rated_kva, t.no_load_loss_w, t.copper_loss_w) for t in transformers} == {
        (Decimal(630), Decimal(1180), Decimal(6800)),
        (Decimal(500), Decimal(1000), Decimal(5000)),
    }
    for t in transformers:
        assert t.parent_meter_id == utility["electricity"].id
        (lv,) = [m for m in meters.values() if m.transformer_id == t.id]
        assert lv.role == MeterRole.check and lv.multiplier in (200, 300)
    assert any(m.role == MeterRole.check and m.multiplier == 40 for m in meters.values())


def test_unmetered_uses_have_rules_and_the_courtyard_lamps_hide_behind_the_living_feeder(session, small):
    U = UnmeteredUse.__table__.c
    uses = {
        r.name: r
        for r in session.execute(
            sa.select(UnmeteredUse.__table__, M.serial)
            .join(Meter.__table__, M.id == U.parent_meter_id)
            .where(U.compound_id == small.compound_id)
        )
    }
    assert {u.category for u in uses.values()} >= {"landscaping", "public_toilet", "courtyard_lamps", "street_lights"}
    assert sum(u.category == "public_toilet" and u.fixed_per_month > 0 for u in uses.values()) == 2
    assert uses["绿化用水"].rule == "area" and uses["绿化用水"].area_m2 == 6000
    assert uses["庭院灯"].rule == "lamps" and uses["庭院灯"].serial == "E-LIVING"


def test_readings_store_what_the_reading_service_would_have_computed(session, small):
    assert check_chains(session, small.compound_id) == small.readings


def test_replaying_the_special_meters_through_the_reading_service_gives_the_same_readings(session, small):
    """Estimates, rollovers, spikes confirmed, a replacement: the real services agree with every stored field."""
    special = sa.or_(R.source == "estimated", R.rollover, R.confirmed != "", R.kind != "regular")
    serials = sorted(
        set(
            session.execute(
                sa.select(M.serial)
                .join(Meter.__table__, M.id == R.meter_id)
                .where(R.compound_id == small.compound_id, special)
            ).scalars()
        )
    )
    assert len(serials) >= 8
    target = make_compound(session)
    for serial in serials:
        meter = session.execute(
            sa.select(Meter).where(Meter.compound_id == small.compound_id, Meter.serial == serial)
        ).scalar_one()
        copy = make_meter(
            session,
            compound=target,
            utility=meter.utility,
            role=meter.role,
            dials=meter.dials,
            multiplier=meter.multiplier,
            serial=serial,
        )
        stored = (
            session.execute(sa.select(Reading).where(Reading.meter_id == meter.id).order_by(Reading.read_at))
            .scalars()
            .all()
        )
        for r in stored:
            if r.source == "estimated":
                again = estimate_reading(session, compound=target, meter=copy, at=r.read_at, now=r.read_at)
                assert again.value_milli == r.value_milli
            else:
                again = record_reading(
                    session,
                    compound=target,
                    meter=copy,
                    value=to_decimal(r.value_milli),
                    read_at=r.read_at,
                    rollover=r.rollover,
                    kind=r.kind,
                    now=r.read_at,
                    confirm={"spike"} if r.confirmed else (),
                )
            assert (again.consumption_milli, again.period_seconds, again.rollover, again.confirmed) == (
                r.consumption_milli,
                r.period_seconds,
                r.rollover,
                r.confirmed,
            ), (serial, r.read_at)
        superseded = session.execute(
            sa.select(sa.func.count()).where(R.meter_id == copy.id, R.superseded_by_id.is_not(None))
        ).scalar_one()
        assert superseded == sum(r.superseded_by_id is not None for r in stored)


def test_rollovers_missed_reads_estimates_and_a_replacement_are_all_there(session, small):
    cid = small.compound_id
    rollovers = _rows(
        session,
        sa.select(M.role, M.multiplier)
        .join(Meter.__table__, M.id == R.meter_id)
        .where(R.compound_id == cid, R.rollover),
    )
    assert sum(role == "billing" for role, _ in rollovers) >= 3
    assert any(role == "check" and mult > 1 for role, mult in rollovers)
    estimates = _rows(
        session,
        sa.select(R.superseded_by_id, M.utility)
        .join(Meter.__table__, M.id == R.meter_id)
        .where(R.compound_id == cid, R.source == "estimated"),
    )
    assert len(estimates) == 2 and {u for _, u in estimates} == {"water", "electricity"}
    assert all(s is not None for s, _ in estimates)
    counts = dict(
        _rows(
            session,
            sa.select(M.serial, sa.func.count())
            .join(Meter.__table__, M.id == R.meter_id)
            .where(R.compound_id == cid, M.replaces_id.is_(None), M.status == "active")
            .group_by(M.serial),
        )
    )
    assert sum(n < 25 for n in counts.values()) >= 4  # missed rounds: fewer readings than rounds
    (new,) = session.execute(sa.select(Meter.__table__).where(M.compound_id == cid, M.replaces_id.is_not(None)))
    old = session.execute(sa.select(Meter.__table__).where(M.id == new.replaces_id)).one()
    assert old.status == "removed" and old.removed_date == new.installed_date and old.account_id == new.account_id
    last_old = session.execute(
        sa.select(Reading.__table__).where(R.meter_id == old.id).order_by(R.read_at.desc()).limit(1)
    ).one()
    first_new = session.execute(
        sa.select(Reading.__table__).where(R.meter_id == new.id).order_by(R.read_at).limit(1)
    ).one()
    assert last_old.kind == "final" and last_old.consumption_milli is not None
    assert first_new.kind == "initial" and first_new.consumption_milli is None
    assert last_old.read_at < first_new.read_at


def test_most_meters_are_sealed_and_a_few_seals_are_broken(session, small):
    S = Seal.__table__.c
    meters = session.execute(sa.select(sa.func.count()).where(M.compound_id == small.compound_id)).scalar_one()
    sealed, broken = session.execute(
        sa.select(sa.func.count(sa.distinct(S.meter_id)), sa.func.count(S.broken_date)).where(
            S.compound_id == small.compound_id
        )
    ).one()
    assert meters * 0.9 <= sealed < meters and broken >= 3


def test_water_gap_grows_with_the_leak_then_drops_after_the_repair(session, small):
    children = list(
        session.execute(
            sa.select(M.serial).where(M.compound_id == small.compound_id, M.parent_id == small.meters["W-MAIN"])
        ).scalars()
    )
    use = monthly(session, small.compound_id, ["W-MAIN", *children])
    gap = {month: used - sum(use[c][month] for c in children) for month, used in use["W-MAIN"].items()}
    assert all(g > 0 for g in gap.values())
    for m in ("11", "12"):  # the same month a year apart: no leak, then the grown leak
        assert gap[f"2025-{m}"] > 4 * gap[f"2024-{m}"]
    for m in ("04", "05", "06", "07", "08", "09", "10"):  # leaking in 2025, repaired in 2026
        assert gap[f"2025-{m}"] > gap[f"2026-{m}"]
    assert max(gap, key=gap.__getitem__) in ("2025-10", "2025-11", "2025-12")
    assert gap["2026-02"] * 4 < gap["2025-12"]


def test_electricity_lost_between_the_hv_meter_and_the_lv_meters_is_positive_every_month(session, small):
    use = monthly(session, small.compound_id, ["E-HV", "E-T1", "E-T2", "E-LIVING", "E-B1", "E-B2"])
    rounds = small.calendar.rounds
    no_load_kw = Decimal("2.18")  # 1.18 + 1.00 kW, whenever the transformers are energised
    for k in range(1, 25):
        month = rounds[k].astimezone(TZ).strftime("%Y-%m")
        hours = Decimal((rounds[k] - rounds[k - 1]).total_seconds()) / 3600
        lost = use["E-HV"][month] - use["E-T1"][month] - use["E-T2"][month]
        assert lost > no_load_kw * hours * 1000 * Decimal("0.98"), month
        assert lost < use["E-HV"][month] * Decimal("0.05")
        # The living feeder carries the courtyard lamps and its cables' losses besides the two blocks.
        assert use["E-LIVING"][month] > use["E-B1"][month] + use["E-B2"][month]


def test_summer_air_conditioning_shows_in_the_households_electricity(session, small):
    use = monthly(session, small.compound_id, ["E-B1", "E-B2"])
    total = {m: use["E-B1"][m] + use["E-B2"][m] for m in use["E-B1"]}
    assert total["2025-08"] > total["2025-04"] * Decimal("1.4") and total["2026-01"] > total["2025-10"]


def test_the_full_demo_has_the_expected_size_and_is_the_same_from_the_command(
    session, tmp_path, monkeypatch, capsys, english
):
    full = build_demo(session)
    counts = summary(session, compound_id=full.compound_id)
    assert counts["zones"] == 4 and 8 <= counts["buildings"] <= 12 and counts["transformers"] == 2
    offices = session.execute(
        sa.select(sa.func.count()).where(A.compound_id == full.compound_id, A.kind == "office")
    ).scalar_one()
    assert 14 <= offices <= 18 and 390 <= counts["accounts"] - offices <= 410
    assert 800 <= counts["meters"] <= 900 and 20_000 <= counts["readings"] <= 23_000
    assert check_chains(session, full.compound_id) == counts["readings"]
    assert session.get(Compound, full.compound_id).is_demo

    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    upgrade(url)
    engine = make_engine(url)
    monkeypatch.setattr(demo_cli, "session_scope", lambda: session_scope(engine))
    demo_cli.build_demo_cli(only_if_empty=True)
    assert f" {counts['readings']} " in capsys.readouterr().out  # the summary table
    with Session(engine) as fresh:
        cid = fresh.execute(sa.select(Compound.__table__.c.id).where(Compound.__table__.c.code == "DEMO")).scalar_one()
        assert summary(fresh, compound_id=cid) == counts
        assert fingerprint(fresh, cid) == fingerprint(session, full.compound_id)
    demo_cli.build_demo_cli(only_if_empty=True)
    demo_cli.build_demo_cli()
    assert capsys.readouterr().out.count("already exists") == 2
    engine.dispose()


def test_serve_demo_leaves_a_database_with_another_compound_alone(tmp_path, monkeypatch, capsys, english):
    url = f"sqlite:///{tmp_path / 'other.db'}"
    upgrade(url)
    engine = make_engine(url)
    with session_scope(engine) as s:
        s.add(Compound(code="REAL", name="A real compound"))
    monkeypatch.setattr(demo_cli, "session_scope", lambda: session_scope(engine))
    demo_cli.build_demo_cli(only_if_empty=True)
    assert "already holds a compound" in capsys.readouterr().out
    with Session(engine) as s:
        assert s.execute(sa.select(sa.func.count()).select_from(Compound.__table__)).scalar_one() == 1
    engine.dispose()
