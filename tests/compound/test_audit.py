"""The audit trail: every change recorded with who, when, where, before and after; nothing editable."""

import csv
import io
import json

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from compound.audit.models import AuditEntry
from compound.audit.service import Actor, set_actor
from compound.auth.models import ApiToken, Role
from compound.register.models import ZoneKind
from tests.conftest import TEST_URL
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


# Entries about users and tokens belong to the compounds of the user concerned (issue 7, item 2)


def _seen(anon, user_headers) -> dict[str, set[str]]:
    """What a reader sees of the trail about users and tokens, through the API, the page and the CSV."""
    api = anon.get("/api/audit", params={"limit": 1000}, headers=user_headers).json()
    page = anon.get("/audit", headers=user_headers).text
    exported = anon.get("/audit.csv", headers=user_headers).text.lstrip("\ufeff")
    table = list(csv.DictReader(io.StringIO(exported)))
    return {
        "api": {f"{e['object_type']}:{e['object_id']}" for e in api},
        "csv": {f"{e['object_type']}:{e['object_id']}" for e in table},
        "page": page,
        "compounds": {e["compound_id"] for e in api} | {e["compound_id"] for e in table},
    }


def test_the_trail_about_users_belongs_to_their_compounds(anon, session):
    from tests.personas import login

    a, b = make_compound(session), make_compound(session)
    admin_a = make_user(session, role=Role.admin, compounds=[a], username="admin.of.a")
    manager_a = make_user(session, role=Role.manager, compounds=[a], username="manager.of.a")
    admin_b = make_user(session, role=Role.admin, compounds=[b], username="admin.of.b")
    worker_a = make_user(session, role=Role.maintenance, compounds=[a], username="worker.of.a")
    worker_b = make_user(session, role=Role.maintenance, compounds=[b], username="worker.of.b")
    both = make_user(session, role=Role.finance, compounds=[a, b], username="finance.of.both")
    root = make_user(session, role=Role.admin, all_compounds=True, username="root.admin")
    # B's day: its worker logs in from 10.2.2.2 and makes a token; its administrator adds a user.
    login(anon, "worker.of.b")
    worker_b_headers = bearer(session, worker_b)
    anon.post("/api/tokens", headers=worker_b_headers, json={"name": "b's script"})
    made = anon.post(
        "/api/users",
        headers=bearer(session, admin_b),
        json={"username": "new.in.b", "password": "copper-kettle-meadow-7", "role": "finance", "compound_ids": [b.id]},
    ).json()
    anon.cookies.clear()
    login(anon, "worker.of.a")
    anon.cookies.clear()
    login(anon, "finance.of.both")
    anon.cookies.clear()

    tokens_of_b = session.execute(
        sa.select(ApiToken.id).where(ApiToken.user_id.in_([worker_b.id, admin_b.id]))
    ).scalars()
    about_b = {f"user:{worker_b.id}", f"user:{made['id']}"} | {f"api_token:{t}" for t in tokens_of_b}
    about_a = {f"user:{worker_a.id}", f"user:{both.id}"}
    for reader in (admin_a, manager_a):
        seen = _seen(anon, bearer(session, reader))
        for where in ("api", "csv"):
            assert about_a <= seen[where], (reader.username, where)
            assert not about_b & seen[where], (reader.username, where)
        assert b.id not in seen["compounds"] and str(b.id) not in seen["compounds"]  # B's grants are B's
        assert "worker.of.b" not in seen["page"] and "new.in.b" not in seen["page"]
        assert "worker.of.a" in seen["page"]
    seen_b = _seen(anon, bearer(session, admin_b))["api"]
    assert about_b <= seen_b and f"user:{both.id}" in seen_b and f"user:{worker_a.id}" not in seen_b
    seen_root = _seen(anon, bearer(session, root))["api"]
    assert about_a | about_b <= seen_root


def test_the_csv_export_never_hands_a_spreadsheet_a_formula(anon, session):
    from compound.audit.service import record

    admin = make_user(session, role=Role.admin, all_compounds=True)
    c = make_compound(session)
    link = '=HYPERLINK("http://evil.example/","Click")'
    set_actor(session, Actor(user_id=None, username="@SUM(1+1)"))
    record(session, action="import", object_type="reading", compound_id=c.id, summary=f"{link}.csv: 3 of 3")
    exported = anon.get("/audit.csv", params={"action": "import"}, headers=bearer(session, admin))
    (row,) = list(csv.DictReader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert row["summary"] == f"'{link}.csv: 3 of 3" and row["username"] == "'@SUM(1+1)"


# Nothing destroys the trail: not a replace, not a truncate (issue 7, item 6)

ON_POSTGRESQL = TEST_URL.startswith("postgresql")


def test_an_entry_cannot_be_replaced(session):
    make_compound(session)
    entry = _entries(session, "compound")[-1]
    columns = "(id, at, username, ip, action, object_type, object_id, summary)"
    values = "(:id, '2026-01-01 00:00:00', 'x', '', 'forged', 'compound', '', '')"
    statement = (
        f"INSERT INTO audit_entry {columns} VALUES {values} ON CONFLICT (id) DO UPDATE SET action = 'forged'"
        if ON_POSTGRESQL
        else f"INSERT OR REPLACE INTO audit_entry {columns} VALUES {values}"
    )
    with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
        session.execute(sa.text(statement), {"id": entry.id})
    session.expire_all()
    assert session.get(AuditEntry, entry.id).action == "create"


@pytest.mark.skipif(not ON_POSTGRESQL, reason="TRUNCATE is PostgreSQL's (SQLite's DELETE is refused above)")
def test_the_trail_cannot_be_truncated(session):
    make_compound(session)
    with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
        session.execute(sa.text("TRUNCATE audit_entry"))
    assert _entries(session, "compound")
