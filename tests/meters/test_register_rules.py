"""The register's rules (issue 7 item 17): one intact seal number, serials whatever their case, a parent in the
meter's own building, no installation in the future, a multiplier changed only when confirmed."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from compound.audit.models import AuditEntry
from compound.register.models import ZoneKind
from meters.models import Meter, MeterRole, Seal, Utility
from tests.factories import add_reading, make_account, make_building, make_compound, make_meter, make_zone


@pytest.fixture
def c(session):
    compound = make_compound(session)
    session.commit()
    return compound


@pytest.fixture
def api(c):
    return f"/api/compounds/{c.id}"


SEAL = {"sealed_date": "2026-10-20", "sealed_by": "Zhou"}


# Seals


def test_a_seal_number_is_intact_on_one_meter_at_a_time(client, session, c, api):
    a, b = make_meter(session, compound=c, serial="W-A"), make_meter(session, compound=c, serial="W-B")
    session.commit()
    first = client.post(f"{api}/meters/{a.id}/seals", json={"number": "QF-0001", **SEAL})
    assert first.status_code == 201, first.text
    r = client.post(f"{api}/meters/{b.id}/seals", json={"number": "qf-0001", **SEAL})
    assert r.status_code == 409 and r.json()["field"] == "number"
    assert "already intact on meter W-A" in r.json()["detail"]
    # Once broken, the number may go on another meter.
    broken = client.post(
        f"{api}/meters/{a.id}/seals/{first.json()['id']}/break", json={"broken_date": "2026-10-25", "broken_by": "Li"}
    )
    assert broken.status_code == 200
    assert client.post(f"{api}/meters/{b.id}/seals", json={"number": "QF-0001", **SEAL}).status_code == 201


def test_the_database_refuses_a_second_intact_seal_number(session, c):
    a, b = make_meter(session, compound=c), make_meter(session, compound=c)
    session.add(Seal(compound_id=c.id, meter_id=a.id, number="S-9", sealed_date=date(2026, 1, 1), sealed_by="x"))
    session.flush()
    session.add(
        Seal(
            compound_id=c.id,
            meter_id=b.id,
            number="S-9",
            sealed_date=date(2026, 1, 1),
            sealed_by="x",
            broken_date=date(2026, 2, 1),
        )
    )
    session.flush()  # a broken one with the same number is history, not a clash
    with pytest.raises(IntegrityError), session.begin_nested():
        session.add(Seal(compound_id=c.id, meter_id=b.id, number="s-9", sealed_date=date(2026, 3, 1), sealed_by="x"))
        session.flush()


# Serials


def test_serials_differ_by_more_than_case(client, session, c, api):
    make_meter(session, compound=c, serial="W-1-1-101")
    session.commit()
    r = client.post(f"{api}/meters", json={"utility": "water", "serial": "w-1-1-101", "role": "check"})
    assert r.status_code == 409 and r.json()["field"] == "serial", r.text
    other = client.post(f"{api}/meters", json={"utility": "water", "serial": "W-1-1-102", "role": "check"}).json()
    r = client.patch(f"{api}/meters/{other['id']}", json={"serial": "w-1-1-101"})
    assert r.status_code == 409 and r.json()["field"] == "serial"


def test_the_database_refuses_a_serial_differing_only_in_case(session, c):
    make_meter(session, compound=c, serial="E-7")
    make_meter(session, compound=make_compound(session), serial="e-7")  # another compound: its own serials
    with pytest.raises(IntegrityError), session.begin_nested():
        make_meter(session, compound=c, serial="e-7")


# The parent's building


def _site(session, c):
    living = make_zone(session, compound=c, kind=ZoneKind.living, name="Living")
    plant = make_zone(session, compound=c, kind=ZoneKind.public, name="Public")
    b1, b2 = make_building(session, compound=c, zone=living), make_building(session, compound=c, zone=living)
    room = make_building(session, compound=c, zone=plant, name="Switch room")
    zone_meter = make_meter(session, compound=c, role=MeterRole.check, serial="W-LIVING")
    zone_meter.zone_id = living.id
    check1 = make_meter(session, compound=c, role=MeterRole.check, building=b1, serial="W-B1")
    check2 = make_meter(session, compound=c, role=MeterRole.check, building=b2, serial="W-B2")
    feeder = make_meter(session, compound=c, role=MeterRole.check, building=room, serial="W-FEED")
    acc = make_account(session, compound=c, building=b1)
    session.commit()
    return b1, b2, acc, zone_meter, check1, check2, feeder


def _flat(b1, acc, parent) -> dict:
    return {
        "utility": "water",
        "serial": f"W-101-{parent.serial}",
        "role": "billing",
        "account_id": acc.id,
        "building_id": b1.id,
        "parent_id": parent.id,
    }


def test_a_meter_does_not_hang_under_another_buildings_meter_of_its_zone(client, session, c, api):
    b1, b2, acc, zone_meter, check1, check2, feeder = _site(session, c)
    r = client.post(f"{api}/meters", json=_flat(b1, acc, check2))
    assert r.status_code == 422 and r.json()["field"] == "parent_id", r.text
    assert "W-B2 is in another building of the same zone" in r.json()["detail"]
    # Its own building's meter, the zone's meter in no building, a feeder in a plant room of another zone: fine.
    for parent in (check1, zone_meter, feeder):
        assert client.post(f"{api}/meters", json=_flat(b1, acc, parent)).status_code == 201, parent.serial


def test_moving_a_meter_to_another_building_is_checked_against_its_parent_and_children(client, session, c, api):
    b1, b2, acc, zone_meter, check1, check2, feeder = _site(session, c)
    flat = client.post(f"{api}/meters", json=_flat(b1, acc, check1)).json()
    r = client.patch(f"{api}/meters/{flat['id']}", json={"building_id": b2.id})
    assert r.status_code == 422 and r.json()["field"] == "parent_id"
    # Block 1's check meter moved to block 2 would leave flat 101 of block 1 under block 2's meter.
    r = client.patch(f"{api}/meters/{check1.id}", json={"building_id": b2.id})
    assert r.status_code == 422 and r.json()["field"] == "building_id", r.text


def test_the_demo_tree_keeps_the_building_rule(session):
    """Every parent of the demo compound (switch-room feeders, block meters, the zones' meters) passes the rule."""
    from compound.register.models import Compound
    from compound.shell.demo.builder import build_meter_tree, build_register
    from meters.register.placement import check_same_building

    register = build_register(session, households=40, code="DEMO-R")
    build_meter_tree(session, register=register)
    c = session.get(Compound, register.compound_id)
    meters = {m.id: m for m in session.execute(sa.select(Meter).where(Meter.compound_id == c.id)).scalars()}
    for m in meters.values():
        if m.parent_id is not None:
            check_same_building(session, compound=c, parent=meters[m.parent_id], building_id=m.building_id)


# Installation dates


def test_an_installation_date_in_the_future_is_refused(client, session, c, api, frozen_now):
    # The compound's today: 2026-11-01 in Shanghai (09:00 UTC is 17:00 there).
    body = {"utility": "water", "serial": "W-NEW", "role": "check"}
    r = client.post(f"{api}/meters", json={**body, "installed_date": "2026-11-02"})
    assert r.status_code == 422 and r.json()["field"] == "installed_date"
    assert "2026-11-02 is in the future" in r.json()["detail"]
    made = client.post(f"{api}/meters", json={**body, "installed_date": "2026-11-01"})
    assert made.status_code == 201
    r = client.patch(f"{api}/meters/{made.json()['id']}", json={"installed_date": "2027-01-01"})
    assert r.status_code == 422 and r.json()["field"] == "installed_date"


# The multiplier


def test_a_new_multiplier_on_a_meter_with_readings_needs_confirming_and_is_audited(client, session, c, api, frozen_now):
    m = make_meter(session, compound=c, utility=Utility.electricity, role=MeterRole.check, multiplier=40)
    add_reading(session, compound=c, meter=m, value="100", at=frozen_now - timedelta(days=30))
    fresh = make_meter(session, compound=c, utility=Utility.electricity, role=MeterRole.check, multiplier=40)
    session.commit()
    r = client.patch(f"{api}/meters/{m.id}", json={"multiplier": 80})
    assert r.status_code == 409 and r.json()["field"] == "multiplier", r.text
    assert "already has 1 reading taken with multiplier 40" in r.json()["detail"]
    assert client.get(f"{api}/meters/{m.id}").json()["multiplier"] == 40
    # The same multiplier again, or a meter without readings: nothing to confirm.
    assert client.patch(f"{api}/meters/{m.id}", json={"multiplier": 40, "location": "x"}).status_code == 200
    assert client.patch(f"{api}/meters/{fresh.id}", json={"multiplier": 80}).status_code == 200
    r = client.patch(f"{api}/meters/{m.id}", json={"multiplier": 80, "confirm_multiplier_change": True})
    assert r.status_code == 200 and r.json()["multiplier"] == 80
    entry = session.execute(
        sa.select(AuditEntry).where(AuditEntry.action == "multiplier_change", AuditEntry.object_id == str(m.id))
    ).scalar_one()
    assert "40 → 80" in entry.summary and entry.compound_id == c.id


def test_the_meter_form_asks_to_confirm_a_new_multiplier(session, c, frozen_now, app):
    from fastapi.testclient import TestClient

    from tests.personas import login, make_user

    m = make_meter(session, compound=c, utility=Utility.electricity, role=MeterRole.check, multiplier=40)
    add_reading(session, compound=c, meter=m, value="100", at=frozen_now - timedelta(days=30))
    make_user(session, role="maintenance", compounds=[c], username="fitter.rules")
    session.commit()
    with TestClient(app) as browser:
        csrf = login(browser, "fitter.rules")
        url = f"/c/{c.id}/register/meters/{m.id}/edit"
        page = browser.get(url).text
        assert 'name="confirm_multiplier_change"' in page and "1 reading taken with multiplier 40" in page
        form = {
            "csrf_token": csrf,
            "serial": m.serial,
            "role": "check",
            "multiplier": "80",
            "dials": "5",
            "walk_order": "0",
            "status": "active",
        }
        refused = browser.post(url, data=form, follow_redirects=False)
        assert refused.status_code == 422 and 'value="80"' in refused.text  # what was typed stays
        assert "Confirm the change to save it" in refused.text
        saved = browser.post(url, data={**form, "confirm_multiplier_change": "on"}, follow_redirects=False)
        assert saved.status_code == 303
    session.refresh(m)
    assert m.multiplier == 80
