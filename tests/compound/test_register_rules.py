"""Register rules of the core (issue 7 item 17): phone numbers, user names whatever their case, and the
upgrade that brings the case-insensitive rules to a database already holding clashes."""

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from compound.auth import service
from compound.auth.models import LoginAttempt, Role, User
from compound.kit.errors import Conflict
from compound.register.schemas import check_phone
from tests.factories import make_compound
from tests.personas import PASSWORD, login, make_user

# Phones: the README's rule — a mainland mobile, a landline with its area code (maybe an extension), an
# internal line.

GOOD_PHONES = [
    "13812345678",
    "138-1234-5678",
    "138 1234 5678",
    "+8613812345678",
    "19912345678",
    "010-62345678",
    "0755-8888 9999",
    "(010)62345678",
    "0571-8765432",
    "010-62345678-801",
    "010-62345678转801",
    "021 62345678 ext 12",
    "内线 6011",
    "分机6011",
]
BAD_PHONES = [
    "12812345678",  # no mobile begins 12
    "1381234567",  # ten digits
    "138123456789",  # twelve
    "12345678",  # no area code
    "010-01234567",  # a local number does not begin 0
    "call me",
    "13812345678; DROP TABLE",
    "内线 12",
]


@pytest.mark.parametrize("phone", GOOD_PHONES)
def test_phone_numbers_people_write_are_accepted(phone):
    assert check_phone(phone) == phone


@pytest.mark.parametrize("phone", BAD_PHONES)
def test_anything_else_is_refused_saying_what_a_phone_number_is(phone):
    with pytest.raises(ValueError, match="is not a phone number: give a mobile number"):
        check_phone(phone)


@pytest.mark.role("admin")
def test_the_api_refuses_a_free_text_phone_naming_the_field(client, session):
    c = make_compound(session)
    session.commit()
    url = f"/api/compounds/{c.id}/accounts"
    r = client.post(url, json={"code": "H-1", "kind": "household", "name": "Wang", "phone": "ask the neighbour"})
    assert r.status_code == 422, r.text
    assert "phone" in r.text and "is not a phone number" in r.text
    made = client.post(url, json={"code": "H-1", "kind": "household", "name": "Wang", "phone": "139-0000-1111"})
    assert made.status_code == 201
    r = client.patch(f"{url}/{made.json()['id']}", json={"phone": "555"})
    assert r.status_code == 422 and "is not a phone number" in r.text


def test_the_household_form_refuses_a_free_text_phone_and_keeps_it(app, session):
    from fastapi.testclient import TestClient

    c = make_compound(session)
    make_user(session, role=Role.admin, compounds=[c], username="clerk.phone")
    session.commit()
    with TestClient(app) as browser:
        csrf = login(browser, "clerk.phone")
        r = browser.post(
            f"/c/{c.id}/accounts/new?kind=household",
            data={"csrf_token": csrf, "code": "H-9", "name": "Li", "phone": "ring twice"},
            follow_redirects=False,
        )
    assert r.status_code == 422 and "is not a phone number" in r.text and 'value="ring twice"' in r.text


# User names


def test_user_names_are_one_whatever_their_case(session):
    service.create_user(session, username="Li.Ming", password=PASSWORD, role=Role.finance)
    with pytest.raises(Conflict) as e:
        service.create_user(session, username="li.ming", password=PASSWORD, role=Role.finance)
    assert e.value.field == "username"


def test_the_database_refuses_a_user_name_differing_only_in_case(session):
    make_user(session, role=Role.finance, username="zhang.wei")
    with pytest.raises(IntegrityError), session.begin_nested():
        make_user(session, role=Role.finance, username="ZHANG.WEI")


def test_one_logs_in_with_ones_name_in_any_case(anon, session):
    make_user(session, role=Role.maintenance, username="chen.jing")
    login(anon, "Chen.Jing")
    assert anon.get("/api/me").json()["username"] == "chen.jing"


def test_failures_count_together_however_the_name_is_typed(anon, session):
    """Five tries as sun.li, SUN.LI, Sun.Li… lock the one user name (otherwise case would be a way round)."""
    import re

    make_user(session, role=Role.finance, username="sun.li")
    for name in ("sun.li", "SUN.LI", "Sun.Li", "sUN.lI", "Sun.li"):
        page = anon.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        r = anon.post("/login", data={"username": name, "password": "wrong-wrong-wrong", "csrf_token": token})
        assert r.status_code == 401
    page = anon.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = anon.post("/login", data={"username": "sun.li", "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 429
    names = session.execute(sa.select(LoginAttempt.username).where(LoginAttempt.reason == "bad_credentials"))
    assert set(names.scalars()) == {"sun.li"}


def test_the_command_line_finds_a_user_whatever_the_case(session):
    from compound.auth.cli import _user

    make_user(session, role=Role.finance, username="qian.yu")
    assert _user(session, "QIAN.YU").username == "qian.yu"


# The upgrade


def test_the_upgrade_stops_on_clashes_and_names_them(tmp_path):
    from compound.shell.migrate import upgrade

    url = f"sqlite:///{tmp_path}/clash.db"
    upgrade(url, revision="0014-1")  # the revision before the rules
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO compound (id, code, name, timezone, spike_factor, is_demo) "
                "VALUES (1, 'XC', 'X', 'Asia/Shanghai', 3, 0)"
            )
        )
        for mid, serial in ((1, "W-1-1-101"), (2, "w-1-1-101"), (3, "W-2")):
            conn.execute(
                sa.text(
                    "INSERT INTO meter (id, compound_id, utility, serial, location, role, multiplier, dials, "
                    "walk_order, status, hv_side) VALUES (:id, 1, 'water', :s, '', 'check', 1, 5, 0, 'active', 0)"
                ),
                {"id": mid, "s": serial},
            )
        for uid, name in ((1, "Li.Ming"), (2, "li.ming")):
            conn.execute(
                sa.text(
                    "INSERT INTO app_user (id, username, display_name, password_hash, role, is_active, is_demo, "
                    "all_compounds) VALUES (:id, :n, :n, 'x', 'finance', 1, 0, 0)"
                ),
                {"id": uid, "n": name},
            )
        for sid, meter_id in ((1, 1), (2, 3)):
            conn.execute(
                sa.text(
                    "INSERT INTO seal (id, compound_id, meter_id, number, sealed_date, sealed_by) "
                    "VALUES (:id, 1, :m, 'QF-7', '2026-01-01', 'x')"
                ),
                {"id": sid, "m": meter_id},
            )
    with pytest.raises(Exception, match="stopped before changing anything") as e:
        upgrade(url)
    text = str(e.value)
    assert "XC: W-1-1-101; XC: w-1-1-101" in text and "Li.Ming; li.ming" in text
    assert "XC: QF-7 on W-1-1-101; XC: QF-7 on W-2" in text
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one() != "0014"
    # Renamed and one seal recorded broken: the upgrade goes through.
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE meter SET serial = 'W-1-1-101B' WHERE id = 2"))
        conn.execute(sa.text("UPDATE app_user SET username = 'li.ming2' WHERE id = 2"))
        conn.execute(sa.text("UPDATE seal SET broken_date = '2026-02-01', broken_by = 'x' WHERE id = 1"))
    upgrade(url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM app_user")).scalar_one() == 2
    engine.dispose()


def test_user_rows_keep_the_name_as_typed(session):
    user = service.create_user(session, username="Wang.Fang", password=PASSWORD, role=Role.finance)
    assert session.get(User, user.id).username == "Wang.Fang"
