"""A wrong reading is corrected by a new one that points at it; nothing is edited or deleted."""

import json
from datetime import timedelta

import sqlalchemy as sa

from compound.audit.models import AuditEntry
from meters.readings.service import consumption_between
from tests.factories import add_reading, make_compound, make_meter

DAY = timedelta(days=1)


def _setup(session, frozen_now):
    c = make_compound(session)
    m = make_meter(session, compound=c, dials=5)
    first = add_reading(session, compound=c, meter=m, value="100", at=frozen_now - 60 * DAY)
    typo = add_reading(session, compound=c, meter=m, value="1300", at=frozen_now - 30 * DAY, confirm={"spike"})
    session.commit()
    return c, m, first, typo


def test_correction_replaces_the_latest_reading_and_keeps_the_wrong_one(client, session, frozen_now):
    c, m, first, typo = _setup(session, frozen_now)
    r = client.post(
        f"/api/compounds/{c.id}/meters/{m.id}/readings/{typo.id}/correction",
        json={"value": "130", "note": "typed one digit too many"},
    )
    assert r.status_code == 201, r.text
    fixed = r.json()
    assert fixed["corrects_id"] == typo.id and fixed["value"] == "130.000" and fixed["consumption"] == "30.000"
    session.refresh(typo)
    assert typo.superseded_by_id == fixed["id"] and typo.value_milli == 1_300_000  # kept as it was
    used = consumption_between(session, compound_id=c.id, meter_ids=[m.id], start=frozen_now - 90 * DAY, end=frozen_now)
    assert used == 30_000
    entries = session.execute(sa.select(AuditEntry).where(AuditEntry.object_type == "reading")).scalars().all()
    created = [json.loads(e.after) for e in entries if e.action == "create"]
    assert any(e["corrects_id"] == typo.id for e in created)


def test_only_the_latest_reading_can_be_corrected(client, session, frozen_now):
    c, m, first, typo = _setup(session, frozen_now)
    r = client.post(f"/api/compounds/{c.id}/meters/{m.id}/readings/{first.id}/correction", json={"value": "99"})
    assert r.status_code == 409 and r.json()["field"] == "reading_id"


def test_a_correction_is_checked_like_any_reading(client, session, frozen_now):
    c, m, first, typo = _setup(session, frozen_now)
    r = client.post(f"/api/compounds/{c.id}/meters/{m.id}/readings/{typo.id}/correction", json={"value": "90"})
    assert r.status_code == 422 and r.json()["problems"][0]["code"] == "lower_than_previous"
    session.refresh(typo)
    assert typo.superseded_by_id is None  # nothing changed


def test_a_reading_is_corrected_once(client, session, frozen_now):
    c, m, first, typo = _setup(session, frozen_now)
    url = f"/api/compounds/{c.id}/meters/{m.id}/readings/{typo.id}/correction"
    assert client.post(url, json={"value": "130"}).status_code == 201
    assert client.post(url, json={"value": "131"}).status_code == 409


def test_another_meters_reading_is_404(client, session, frozen_now):
    c, m, first, typo = _setup(session, frozen_now)
    other = make_meter(session, compound=c)
    session.commit()
    r = client.post(f"/api/compounds/{c.id}/meters/{other.id}/readings/{typo.id}/correction", json={"value": "1"})
    assert r.status_code == 404
