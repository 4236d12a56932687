"""The audit trail: every change recorded with who, when, where, before and after; nothing editable."""

import csv
import io
import json

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from compound.audit.models import AuditEntry
from compound.audit.service import Actor, set_actor
from compound.auth.models import Role
from compound.register.models import ZoneKind
from tests.factories import make_compound, make_zone
from tests.personas import bearer, make_user


def _entries(session, object_type, **match):
    q = sa.select(AuditEntry).where(AuditEntry.object_type == object_type)
    for column, value in match.items():
        q = q.where(getattr(AuditEntry, column) == value)
    return session.execute(q.order_by(AuditEntry.id)).scalars().all()


def test_create_change_and_who_are_recorded(session):
    set_actor(session, Actor(user_id=7, username="li.ming", ip="10.0.0.8"))
    c = make_compound(session)
    zone = make_zone(session, compound=c, kind=ZoneKind.office, name="办公区")
    zone.name = "行政办公区"
    session.flush()
    created, changed = _entries(session, "zone", compound_id=c.id)
    assert created.action == "create" and created.compound_id == c.id and created.username == "li.ming"
    assert created.ip == "10.0.0.8" and json.loads(created.after)["name"] == "办公区"
    assert changed.action == "update"
    assert json.loads(changed.before) == {"name": "办公区"} and json.loads(changed.after) == {"name": "行政办公区"}


def test_secrets_never_reach_the_trail(session):
    user = make_user(session, role=Role.finance, username="sun.li")
    entry = _entries(session, "user", object_id=str(user.id))[0]
    assert "password_hash" not in entry.after and user.password_hash not in entry.after


@pytest.mark.parametrize("statement", ["UPDATE audit_entry SET username = 'someone else'", "DELETE FROM audit_entry"])
def test_audit_entries_cannot_be_changed_or_deleted(session, statement):
    make_compound(session)
    assert _entries(session, "compound")
    with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
        session.execute(sa.text(statement))


def test_trail_is_filtered_scoped_and_exported(anon, session):
    mine, other = make_compound(session), make_compound(session)
    manager = make_user(session, role=Role.manager, compounds=[mine])
    make_zone(session, compound=mine, name="生活区")
    make_zone(session, compound=other, name="别人的区")
    headers = bearer(session, manager)
    rows = anon.get("/api/audit", params={"object_type": "zone"}, headers=headers).json()
    assert [json.loads(json.dumps(r["after"]))["name"] for r in rows] == ["生活区"]
    assert anon.get("/api/audit", params={"compound_id": other.id}, headers=headers).json() == []
    exported = anon.get("/audit.csv", params={"object_type": "zone"}, headers=headers)
    assert exported.status_code == 200
    table = list(csv.DictReader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert [r["object_type"] for r in table] == ["zone"] and "生活区" in table[0]["after"]


def test_maintenance_cannot_read_the_trail(anon, session):
    worker = make_user(session, role=Role.maintenance)
    assert anon.get("/api/audit", headers=bearer(session, worker)).status_code == 403


def test_each_kind_of_change_through_the_api_is_audited_with_who(client_as, session, frozen_now):
    c = make_compound(session)
    admin, worker = client_as("admin"), client_as("maintenance")
    base = f"/api/compounds/{c.id}"
    zone = admin.post(f"{base}/zones", json={"name": "生活区", "kind": "living"}).json()
    building = admin.post(f"{base}/buildings", json={"name": "1号楼", "zone_id": zone["id"]}).json()
    account = admin.post(
        f"{base}/accounts", json={"code": "H1", "kind": "household", "name": "王芳", "building_id": building["id"]}
    ).json()
    assert admin.patch(f"{base}/accounts/{account['id']}", json={"phone": "139-0000-0000"}).status_code == 200
    meter = worker.post(
        f"{base}/meters",
        json={"utility": "water", "serial": "W-1", "role": "billing", "account_id": account["id"], "dials": 5},
    ).json()
    assert (
        worker.post(
            f"{base}/meters/{meter['id']}/readings", json={"value": "10", "read_at": "2026-10-01T09:00:00"}
        ).status_code
        == 201
    )
    seal = worker.post(
        f"{base}/meters/{meter['id']}/seals", json={"number": "S-1", "sealed_date": "2026-10-01", "sealed_by": "李师傅"}
    ).json()
    assert (
        worker.post(
            f"{base}/meters/{meter['id']}/seals/{seal['id']}/break",
            json={"broken_date": "2026-10-20", "broken_by": "李师傅"},
        ).status_code
        == 200
    )
    entries = session.execute(sa.select(AuditEntry).where(AuditEntry.compound_id == c.id)).scalars().all()
    seen = {(e.object_type, e.action) for e in entries}
    for kind in ("zone", "building", "account", "meter", "reading", "seal"):
        assert (kind, "create") in seen, kind
    assert ("account", "update") in seen and ("seal", "update") in seen
    phone = next(e for e in entries if e.object_type == "account" and e.action == "update")
    assert json.loads(phone.before) == {"phone": None} and json.loads(phone.after) == {"phone": "139-0000-0000"}
    readers = {e.username for e in entries if e.object_type in ("reading", "seal")}
    assert len(readers) == 1 and readers.pop().startswith("maintenance")
