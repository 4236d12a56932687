"""Meter register services: the rules of the tree, replacement continuity, seals, the tree itself."""

from datetime import date, timedelta

import pytest
from sqlmodel import select

from compound.kit.errors import Conflict
from meters.errors import MeterError, ReadingRefused
from meters.models import Meter, MeterRole, MeterStatus, Reading, ReadingKind, Utility
from meters.readings.service import consumption_between
from meters.register.replacement import replace_meter
from meters.register.schemas import MeterCreate, MeterUpdate
from meters.register.seals import add_seal, break_seal, intact_seal, list_seals
from meters.register.service import chain_ids, create_meter, update_meter
from meters.register.tree import meter_tree
from tests.factories import (
    add_reading,
    make_account,
    make_building,
    make_compound,
    make_meter,
    make_transformer,
    make_unmetered,
    make_zone,
)

W, E = Utility.water, Utility.electricity


@pytest.fixture
def c(session):
    return make_compound(session)


def _create(session, c, **kw) -> Meter:
    kw.setdefault("serial", f"S-{len(kw)}-{id(kw)}")
    return create_meter(session, compound=c, data=MeterCreate(**kw))


def _refused(session, c, field: str, **kw) -> MeterError:
    with pytest.raises(MeterError) as e:
        _create(session, c, **kw)
    assert e.value.field == field
    assert e.value.message
    return e.value


# The rules of the tree


def test_utility_meter_cannot_have_a_parent(session, c):
    master = make_meter(session, compound=c, role=MeterRole.utility)
    err = _refused(session, c, "parent_id", utility=W, role="utility", parent_id=master.id)
    assert "top of the tree" in err.message


def test_billing_meter_needs_an_account(session, c):
    _refused(session, c, "account_id", utility=W, role="billing")


def test_only_billing_meters_belong_to_an_account(session, c):
    acc = make_account(session, compound=c)
    _refused(session, c, "account_id", utility=W, role="check", account_id=acc.id)


def test_parent_of_another_utility_is_refused(session, c):
    power = make_meter(session, compound=c, utility=E, role=MeterRole.utility)
    err = _refused(session, c, "parent_id", utility=W, role="check", parent_id=power.id)
    assert "electricity" in err.message


def test_parent_in_another_compound_is_unknown(session, c):
    foreign = make_meter(session, compound=make_compound(session), role=MeterRole.utility)
    _refused(session, c, "parent_id", utility=W, role="check", parent_id=foreign.id)


def test_account_of_another_compound_is_refused(session, c):
    foreign = make_account(session, compound=make_compound(session))
    _refused(session, c, "account_id", utility=W, role="billing", account_id=foreign.id)


def test_nothing_hangs_under_a_billing_meter(session, c):
    flat = make_meter(session, compound=c, account=make_account(session, compound=c))
    _refused(session, c, "parent_id", utility=W, role="check", parent_id=flat.id)


def test_transformer_takes_only_electricity_meters(session, c):
    master = make_meter(session, compound=c, utility=E, role=MeterRole.utility)
    t = make_transformer(session, compound=c, feeder=master)
    _refused(session, c, "transformer_id", utility=W, role="check", transformer_id=t.id)
    _refused(session, c, "transformer_id", utility=E, role="check", transformer_id=t.id, parent_id=master.id)


def test_check_meter_sits_under_a_utility_meter_or_a_transformer(session, c):
    master = make_meter(session, compound=c, utility=E, role=MeterRole.utility)
    t = make_transformer(session, compound=c, feeder=master)
    lv = _create(session, c, utility=E, role="check", transformer_id=t.id, serial="LV-1")
    zone = _create(session, c, utility=E, role="check", parent_id=master.id, serial="Z-1")
    assert (lv.transformer_id, zone.parent_id) == (t.id, master.id)


def test_transformer_must_be_fed_by_an_electricity_utility_meter(session, c):
    check = make_meter(session, compound=c, utility=E, role=MeterRole.check)
    with pytest.raises(MeterError) as e:
        make_transformer(session, compound=c, feeder=check)
    assert e.value.field == "parent_meter_id"


def test_zone_follows_the_building_and_must_match_it(session, c):
    b = make_building(session, compound=c)
    m = _create(session, c, utility=W, role="check", building_id=b.id)
    assert m.zone_id == b.zone_id
    _refused(
        session, c, "zone_id", utility=W, role="check", building_id=b.id, zone_id=make_zone(session, compound=c).id
    )


def test_a_loop_in_the_tree_is_refused(session, c):
    master = make_meter(session, compound=c, role=MeterRole.utility)
    a = _create(session, c, utility=W, role="check", parent_id=master.id, serial="A")
    b = _create(session, c, utility=W, role="check", parent_id=a.id, serial="B")
    d = _create(session, c, utility=W, role="check", parent_id=b.id, serial="D")
    with pytest.raises(MeterError) as e:
        update_meter(session, compound=c, meter=a, data=MeterUpdate(parent_id=d.id))
    assert e.value.field == "parent_id" and "loop" in e.value.message
    with pytest.raises(MeterError):
        update_meter(session, compound=c, meter=a, data=MeterUpdate(parent_id=a.id))
    assert a.parent_id == master.id


def test_meter_with_meters_under_it_cannot_become_a_billing_meter(session, c):
    master = make_meter(session, compound=c, role=MeterRole.utility)
    check = _create(session, c, utility=W, role="check", parent_id=master.id, serial="CK")
    _create(session, c, utility=W, role="check", parent_id=check.id, serial="CK2")
    acc = make_account(session, compound=c)
    with pytest.raises(MeterError) as e:
        update_meter(session, compound=c, meter=check, data=MeterUpdate(role=MeterRole.billing, account_id=acc.id))
    assert e.value.field == "role"


def test_meter_that_feeds_a_transformer_stays_a_utility_meter(session, c):
    master = make_meter(session, compound=c, utility=E, role=MeterRole.utility)
    make_transformer(session, compound=c, feeder=master)
    with pytest.raises(MeterError) as e:
        update_meter(session, compound=c, meter=master, data=MeterUpdate(role=MeterRole.check))
    assert e.value.field == "role"


def test_serial_is_unique_within_a_compound_only(session, c):
    make_meter(session, compound=c, serial="W-0001", role=MeterRole.utility)
    with pytest.raises(Conflict) as e:
        _create(session, c, utility=W, role="utility", serial="W-0001")
    assert e.value.field == "serial"
    other = make_compound(session)
    assert create_meter(session, compound=other, data=MeterCreate(utility=W, role="utility", serial="W-0001")).id


def test_taking_a_meter_out_sets_its_removal_date(session, c, frozen_now):
    m = make_meter(session, compound=c, role=MeterRole.check)
    update_meter(session, compound=c, meter=m, data=MeterUpdate(status=MeterStatus.removed))
    assert m.status == MeterStatus.removed and m.removed_date == date(2026, 11, 1)


# Replacement


def _history(session, c, meter, start):
    add_reading(session, compound=c, meter=meter, value="100", at=start)
    add_reading(session, compound=c, meter=meter, value="150", at=start + timedelta(days=30))


def test_replacement_keeps_consumption_continuous(session, c, frozen_now):
    acc = make_account(session, compound=c)
    old = make_meter(session, compound=c, account=acc, dials=5, serial="OLD-1", location="Kitchen", walk_order=7)
    t0 = frozen_now - timedelta(days=90)
    _history(session, c, old, t0)
    at = t0 + timedelta(days=40)
    new = replace_meter(
        session, compound=c, meter=old, final_value="160", new_serial="NEW-1", new_value="3", at=at, read_by="Lao Chen"
    )
    assert (old.status, old.removed_date) == (MeterStatus.removed, at.date())
    assert (new.replaces_id, new.account_id, new.location, new.walk_order, new.dials, new.multiplier) == (
        old.id,
        acc.id,
        "Kitchen",
        7,
        5,
        1,
    )
    add_reading(session, compound=c, meter=new, value="23", at=t0 + timedelta(days=70))
    readings = session.exec(
        select(Reading).where(Reading.meter_id.in_([old.id, new.id])).order_by(Reading.read_at, Reading.id)
    ).all()
    assert [(r.kind, r.consumption_milli) for r in readings] == [
        (ReadingKind.regular, None),
        (ReadingKind.regular, 50_000),
        (ReadingKind.final, 10_000),
        (ReadingKind.initial, None),
        (ReadingKind.regular, 20_000),
    ]
    assert chain_ids(session, compound=c, meter=new) == [new.id, old.id]
    used = consumption_between(
        session, compound_id=c.id, meter_ids=chain_ids(session, compound=c, meter=new), start=t0, end=frozen_now
    )
    assert used == 50_000 + 10_000 + 20_000


def test_replacement_with_a_different_multiplier(session, c, frozen_now):
    acc = make_account(session, compound=c, name="Finance bureau")
    old = make_meter(session, compound=c, utility=E, account=acc, multiplier=1, dials=6)
    t0 = frozen_now - timedelta(days=90)
    _history(session, c, old, t0)
    new = replace_meter(
        session,
        compound=c,
        meter=old,
        final_value="170",
        new_serial="CT-200-5",
        new_value="0.5",
        at=t0 + timedelta(days=40),
        new_multiplier=40,
        new_dials=4,
    )
    assert (new.multiplier, new.dials, new.utility) == (40, 4, E)
    later = add_reading(session, compound=c, meter=new, value="3", at=t0 + timedelta(days=70))
    assert later.consumption_milli == 100_000  # (3 - 0.5) dials × 40
    used = consumption_between(session, compound_id=c.id, meter_ids=[old.id, new.id], start=t0, end=frozen_now)
    assert used == 50_000 + 20_000 + 100_000


def test_refused_final_reading_refuses_the_whole_replacement(session, c, frozen_now):
    old = make_meter(session, compound=c, account=make_account(session, compound=c), serial="KEEP-1")
    t0 = frozen_now - timedelta(days=90)
    _history(session, c, old, t0)
    with pytest.raises(ReadingRefused) as e:
        replace_meter(
            session,
            compound=c,
            meter=old,
            final_value="140",
            new_serial="NEVER-1",
            new_value="0",
            at=t0 + timedelta(days=40),
        )
    assert e.value.problems[0].code == "lower_than_previous"
    assert old.status == MeterStatus.active and old.removed_date is None
    assert session.exec(select(Meter).where(Meter.compound_id == c.id, Meter.serial == "NEVER-1")).first() is None
    assert len(session.exec(select(Reading).where(Reading.meter_id == old.id)).all()) == 2


def test_replacement_refuses_a_serial_already_in_use(session, c, frozen_now):
    old = make_meter(session, compound=c, account=make_account(session, compound=c))
    make_meter(session, compound=c, serial="TAKEN", role=MeterRole.check)
    with pytest.raises(Conflict) as e:
        replace_meter(
            session, compound=c, meter=old, final_value="10", new_serial="TAKEN", new_value="0", at=frozen_now
        )
    assert e.value.field == "new_serial" and old.status == MeterStatus.active


def test_replaced_meter_takes_no_more_readings(session, c, frozen_now):
    old = make_meter(session, compound=c, account=make_account(session, compound=c))
    at = frozen_now - timedelta(days=1)
    replace_meter(session, compound=c, meter=old, final_value="10", new_serial="N-2", new_value="0", at=at)
    with pytest.raises(ReadingRefused) as e:
        add_reading(session, compound=c, meter=old, value="11", at=frozen_now)
    assert e.value.problems[0].code == "meter_removed"


def test_what_hung_under_the_old_meter_moves_to_the_new_one(session, c, frozen_now):
    master = make_meter(session, compound=c, utility=E, role=MeterRole.utility, multiplier=40)
    t = make_transformer(session, compound=c, feeder=master)
    lamps = make_unmetered(session, compound=c, parent=master, lamp_count=20, lamp_watts=60, hours_per_day=11)
    new = replace_meter(
        session, compound=c, meter=master, final_value="500", new_serial="MASTER-2", new_value="0", at=frozen_now
    )
    session.refresh(t)
    session.refresh(lamps)
    assert (t.parent_meter_id, lamps.parent_meter_id, new.role, new.multiplier) == (new.id, new.id, "utility", 40)
    tree = meter_tree(session, compound=c, utility=E)
    assert [n["serial"] for n in tree] == ["MASTER-2"]
    assert [n["kind"] for n in tree[0]["children"]] == ["transformer", "unmetered"]


def test_a_replaced_check_meter_keeps_its_place_and_its_children(session, c, frozen_now):
    """The new meter hangs where the old one hung, and the old one's sub-meters hang under the new one."""
    master = make_meter(session, compound=c, role=MeterRole.utility, serial="MASTER")
    old = make_meter(session, compound=c, role=MeterRole.check, parent=master, serial="CHECK-OLD")
    flat = make_meter(session, compound=c, parent=old, account=make_account(session, compound=c), serial="FLAT")
    new = replace_meter(
        session, compound=c, meter=old, final_value="10", new_serial="CHECK-NEW", new_value="0", at=frozen_now
    )
    session.refresh(flat)
    assert (new.parent_id, flat.parent_id) == (master.id, new.id)
    tree = meter_tree(session, compound=c, utility=W)
    assert [n["serial"] for n in tree[0]["children"]] == ["CHECK-NEW"]
    assert [n["serial"] for n in tree[0]["children"][0]["children"]] == ["FLAT"]


def test_a_final_reading_past_zero_is_counted_as_a_rollover(session, c, frozen_now):
    old = make_meter(session, compound=c, account=make_account(session, compound=c), dials=4, serial="ROLL-OLD")
    add_reading(session, compound=c, meter=old, value="9990", at=frozen_now - timedelta(days=30))
    replace_meter(
        session,
        compound=c,
        meter=old,
        final_value="5",
        new_serial="ROLL-NEW",
        new_value="0",
        at=frozen_now,
        rollover=True,
    )
    final = session.exec(select(Reading).where(Reading.meter_id == old.id, Reading.kind == ReadingKind.final)).one()
    assert final.rollover and final.consumption_milli == (5 - 9990 + 10_000) * 1000


def test_replacement_breaks_the_old_meters_seal(session, c, frozen_now):
    old = make_meter(session, compound=c, account=make_account(session, compound=c))
    seal = add_seal(session, compound=c, meter=old, number="F-001", sealed_date=date(2026, 1, 5), sealed_by="Wu")
    replace_meter(
        session, compound=c, meter=old, final_value="10", new_serial="N-3", new_value="0", at=frozen_now, read_by="Wu"
    )
    assert (seal.broken_date, seal.broken_by) == (date(2026, 11, 1), "Wu")


# Seals


def test_a_meter_has_at_most_one_intact_seal(session, c):
    m = make_meter(session, compound=c, account=make_account(session, compound=c))
    first = add_seal(session, compound=c, meter=m, number="F-100", sealed_date=date(2026, 3, 1), sealed_by="Wu")
    with pytest.raises(Conflict) as e:
        add_seal(session, compound=c, meter=m, number="F-101", sealed_date=date(2026, 3, 2), sealed_by="Wu")
    assert "F-100" in e.value.message
    break_seal(session, compound=c, seal=first, broken_date=date(2026, 6, 1), broken_by="Zhao", note="Pipe repair")
    second = add_seal(session, compound=c, meter=m, number="F-101", sealed_date=date(2026, 6, 2), sealed_by="Wu")
    assert intact_seal(session, compound=c, meter=m).id == second.id
    assert [s.number for s in list_seals(session, compound=c, meter=m)] == ["F-101", "F-100"]
    assert first.broken_note == "Pipe repair"


def test_a_seal_is_broken_once(session, c):
    m = make_meter(session, compound=c, account=make_account(session, compound=c))
    s = add_seal(session, compound=c, meter=m, number="F-1", sealed_date=date(2026, 3, 1), sealed_by="Wu")
    break_seal(session, compound=c, seal=s, broken_date=date(2026, 4, 1), broken_by="Zhao")
    with pytest.raises(Conflict):
        break_seal(session, compound=c, seal=s, broken_date=date(2026, 5, 1), broken_by="Zhao")
    assert s.broken_date == date(2026, 4, 1)


@pytest.mark.parametrize(
    ("sealed", "broken", "field"),
    [
        (date(2026, 11, 2), None, "sealed_date"),  # tomorrow in Shanghai
        (date(2026, 3, 1), date(2026, 2, 28), "broken_date"),
        (date(2026, 3, 1), date(2026, 11, 2), "broken_date"),
    ],
)
def test_seal_dates_must_make_sense(session, c, sealed, broken, field):
    m = make_meter(session, compound=c, account=make_account(session, compound=c))
    with pytest.raises(MeterError) as e:
        s = add_seal(session, compound=c, meter=m, number="F-9", sealed_date=sealed, sealed_by="Wu")
        break_seal(session, compound=c, seal=s, broken_date=broken, broken_by="Zhao")
    assert e.value.field == field


def test_taking_a_meter_out_breaks_its_seal(session, c):
    m = make_meter(session, compound=c, account=make_account(session, compound=c))
    seal = add_seal(session, compound=c, meter=m, number="F-5", sealed_date=date(2026, 3, 1), sealed_by="Wu")
    update_meter(
        session, compound=c, meter=m, data=MeterUpdate(status=MeterStatus.removed, removed_date=date(2026, 10, 1))
    )
    assert seal.broken_date == date(2026, 10, 1) and intact_seal(session, compound=c, meter=m) is None


def test_a_removed_meter_cannot_be_sealed(session, c):
    m = make_meter(session, compound=c, role=MeterRole.check)
    update_meter(session, compound=c, meter=m, data=MeterUpdate(status=MeterStatus.removed))
    with pytest.raises(MeterError):
        add_seal(session, compound=c, meter=m, number="F-2", sealed_date=date(2026, 3, 1), sealed_by="Wu")


# The tree


def test_water_tree_nests_meters_and_labels_unmetered_use_as_estimated(session, c):
    master = make_meter(session, compound=c, role=MeterRole.utility, serial="W-MASTER")
    living = make_meter(session, compound=c, role=MeterRole.check, parent=master, serial="W-LIVING")
    flat_b = make_meter(
        session, compound=c, parent=living, serial="W-2-301", walk_order=2, account=make_account(session, compound=c)
    )
    flat_a = make_meter(
        session, compound=c, parent=living, serial="W-2-101", walk_order=1, account=make_account(session, compound=c)
    )
    lawn = make_unmetered(
        session,
        compound=c,
        utility=W,
        rule="area",
        category="landscaping",
        parent=master,
        area_m2=1500,
        litres_per_m2_day=2,
        name="Lawns",
    )
    make_meter(session, compound=c, utility=E, role=MeterRole.utility)  # another utility: not in this tree
    tree = meter_tree(session, compound=c, utility=W)
    assert len(tree) == 1 and tree[0]["id"] == master.id and tree[0]["role"] == "utility"
    kids = tree[0]["children"]
    assert [(n["kind"], n["id"]) for n in kids] == [("meter", living.id), ("unmetered", lawn.id)]
    assert kids[1]["estimated"] is True and kids[1]["name"] == "Lawns" and kids[0]["estimated"] is False
    assert [n["id"] for n in kids[0]["children"]] == [flat_a.id, flat_b.id]
    assert all(n["role"] == "billing" for n in kids[0]["children"])


def test_electricity_tree_goes_through_transformers(session, c):
    master = make_meter(session, compound=c, utility=E, role=MeterRole.utility, serial="E-HV")
    t1 = make_transformer(session, compound=c, feeder=master, name="No. 1")
    lv = create_meter(
        session, compound=c, data=MeterCreate(utility=E, role="check", serial="E-LV1", transformer_id=t1.id)
    )
    office = make_meter(session, compound=c, utility=E, parent=lv, account=make_account(session, compound=c))
    orphan = make_meter(session, compound=c, utility=E, role=MeterRole.check, serial="E-UNPLACED")
    tree = meter_tree(session, compound=c, utility=E)
    assert [n["id"] for n in tree] == [master.id, orphan.id]
    t_node = tree[0]["children"][0]
    assert (t_node["kind"], t_node["name"]) == ("transformer", "No. 1")
    assert t_node["children"][0]["id"] == lv.id
    assert t_node["children"][0]["children"][0]["id"] == office.id
