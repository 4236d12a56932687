"""The round sheet as a reader uses it (issue 7, items 12 and 15): parts of a long sheet, each reading at the time it
was typed or saved, one reading at a time for the script, nothing typed lost across a login, and no inputs for the
roles that may not enter readings."""

import re
from datetime import timedelta
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from compound.auth.models import Role
from compound.kit import clock
from meters.models import Reading
from tests.factories import add_reading, make_building, make_compound, make_meter
from tests.personas import PASSWORD, login, make_user

DAY = timedelta(days=1)


@pytest.fixture
def block(session, frozen_now):
    """A building of 90 meters, three entrances of 30, each with three months of history at 1 a day."""
    c = make_compound(session, name="Parts compound")
    b = make_building(session, compound=c, name="9号楼")
    meters = []
    for i in range(90):
        entrance, flat = i // 30 + 1, i % 30
        m = make_meter(
            session,
            compound=c,
            building=b,
            serial=f"W9-{i:03d}",
            walk_order=i,
            location=f"9号楼{entrance}单元{flat // 6 + 1}层（9-{entrance}-{flat // 6 + 1}0{flat % 6 + 1}室）",
        )
        meters.append(m)
    for m in meters[:3] + meters[30:31]:
        for k, value in enumerate(("100", "130", "160")):
            add_reading(session, compound=c, meter=m, value=value, at=frozen_now - (90 - 30 * k) * DAY)
    return c, b, meters


def path(block) -> str:
    c, b, _m = block
    return f"/c/{c.id}/rounds/building/{b.id}"


def inputs(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'name="value_(\d+)"', html)]


def readings(session, meter) -> list[Reading]:
    return list(session.scalars(sa.select(Reading).where(Reading.meter_id == meter.id).order_by(Reading.read_at)))


# Parts


def test_a_long_sheet_comes_in_parts_of_at_most_40_in_walking_order_with_links_between_them(client, block):
    _c, _b, meters = block
    first = client.get(path(block))
    assert first.status_code == 200
    assert inputs(first.text) == [m.id for m in meters[:30]]  # the first entrance: a part of its own
    assert "Part 1 of 3" in first.text and "90 meters" in first.text
    assert f'href="{path(block)}?part=2"' in first.text and "Next part" in first.text
    assert f'action="{path(block)}?part=1"' in first.text
    second = client.get(f"{path(block)}?part=2")
    assert inputs(second.text) == [m.id for m in meters[30:60]]
    assert f'href="{path(block)}?part=1"' in second.text and f'href="{path(block)}?part=3"' in second.text
    assert inputs(client.get(f"{path(block)}?part=3").text) == [m.id for m in meters[60:]]
    assert inputs(client.get(f"{path(block)}?part=x").text) == [m.id for m in meters[:30]]


def test_a_part_saved_in_full_leads_to_the_next_part(client, session, block):
    _c, _b, meters = block
    data = {f"value_{m.id}": "5" for m in meters[3:30]} | {f"value_{m.id}": "170" for m in meters[:3]}
    r = client.post(f"{path(block)}?part=1", data=data, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"{path(block)}?part=2"
    assert all(len(readings(session, m)) == 1 for m in meters[3:30])
    r = client.post(f"{path(block)}?part=2", data={f"value_{meters[40].id}": "5"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"{path(block)}?part=2"  # the part is not finished


# When each reading was taken


def test_a_reading_is_taken_when_it_is_saved_not_when_the_page_was_opened(client, session, block, frozen_now):
    _c, _b, meters = block
    page = client.get(path(block)).text
    assert 'name="read_at"' not in page and str(frozen_now.year) not in re.sub(r"<td class=\"last.*?</td>", "", page)
    later = frozen_now + timedelta(minutes=50)
    clock.set_clock(lambda: later)
    client.post(f"{path(block)}?part=1", data={f"value_{meters[0].id}": "170"})
    assert readings(session, meters[0])[-1].read_at == later


def test_the_time_a_value_was_typed_is_kept_only_for_that_value(client, session, block, frozen_now):
    _c, _b, meters = block
    typed = frozen_now - timedelta(minutes=40)
    clock.set_clock(lambda: frozen_now + timedelta(minutes=5))
    data = {
        f"value_{meters[0].id}": "170",
        f"at_{meters[0].id}": typed.isoformat(),
        f"was_{meters[0].id}": "170",
        f"value_{meters[1].id}": "171",  # changed since it was first typed: taken now
        f"at_{meters[1].id}": typed.isoformat(),
        f"was_{meters[1].id}": "117",
        f"value_{meters[2].id}": "172",  # a phone whose clock runs ahead: not in the future, but now
        f"at_{meters[2].id}": (frozen_now + timedelta(hours=3)).isoformat(),
        f"was_{meters[2].id}": "172",
    }
    assert client.post(path(block), data=data, follow_redirects=False).status_code == 303
    now = frozen_now + timedelta(minutes=5)
    assert [readings(session, m)[-1].read_at for m in meters[:3]] == [typed, now, now]


def test_a_resent_sheet_says_already_saved_and_saves_nothing_twice(client, session, block):
    _c, _b, meters = block
    data = {f"value_{meters[0].id}": "170"}
    client.post(path(block), data=data)
    r = client.post(path(block), data=data, follow_redirects=False)
    assert r.status_code == 303 and len(readings(session, meters[0])) == 4


# One reading at a time (the script)


def test_one_reading_posted_as_json_answers_saved_or_why_not_in_the_readers_language(client, session, block):
    _c, _b, meters = block
    json = {"Accept": "application/json"}
    r = client.post(f"{path(block)}?part=1", data={f"value_{meters[0].id}": "170"}, headers=json)
    assert r.status_code == 200 and r.json() == {
        "saved": 1,
        "results": {str(meters[0].id): {"status": "saved", "messages": [], "offer_rollover": False, "rollover": False}},
    }
    r = client.post(path(block), data={f"value_{meters[1].id}": "150"}, headers={**json, "Accept-Language": "zh-CN"})
    assert r.status_code == 422
    result = r.json()["results"][str(meters[1].id)]
    assert result["status"] == "refused" and result["offer_rollover"] and "低于" in result["messages"][0]
    r = client.post(path(block), data={f"value_{meters[2].id}": "900"}, headers=json)
    assert r.status_code == 422 and r.json()["results"][str(meters[2].id)]["status"] == "confirm"
    r = client.post(path(block), data={f"value_{meters[2].id}": "900", f"confirm_{meters[2].id}": "1"}, headers=json)
    assert r.status_code == 200 and readings(session, meters[2])[-1].confirmed == "spike"


def test_the_script_is_served_and_only_writers_get_it(client, client_as, block):
    assert '<script src="/static/meters/round_sheet.js"' in client.get(path(block)).text
    js = client.get("/static/meters/round_sheet.js")
    assert js.status_code == 200 and "sessionStorage" in js.text
    assert "round_sheet.js" not in client_as(Role.finance).get(path(block)).text


# Nothing typed lost across a login


def _relogin(anon, username: str, next_page: str) -> None:
    page = anon.get(f"/login?next={quote(next_page)}")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = anon.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token, "next": next_page},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == next_page


def test_a_sheet_posted_after_the_session_lapsed_is_back_after_the_login_and_saves(anon, session, block, frozen_now):
    c, _b, meters = block
    user = make_user(session, role=Role.maintenance, compounds=[c])
    csrf = login(anon, user.username)
    part2 = f"{path(block)}?part=2"
    assert anon.get(part2).status_code == 200
    posted_at = frozen_now + timedelta(minutes=75)  # typing is not activity: 75 minutes without a request
    clock.set_clock(lambda: posted_at)
    data = {"csrf_token": csrf, "read_by": "王海峰", f"value_{meters[30].id}": "175", f"value_{meters[31].id}": "12.5"}
    r = anon.post(part2, data=data, headers={"Referer": f"http://testserver{part2}"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/login?next={quote(part2)}"
    assert readings(session, meters[30])[-1].value_milli == 160_000  # nothing saved
    login_page = anon.get(r.headers["location"]).text
    assert "what you typed is kept" in login_page
    clock.set_clock(lambda: posted_at + timedelta(minutes=3))
    _relogin(anon, user.username, part2)
    page = anon.get(part2).text
    assert re.search(rf'name="value_{meters[30].id}"[^>]*value="175"', page)
    assert re.search(rf'name="value_{meters[31].id}"[^>]*value="12.5"', page)
    assert 'value="王海峰"' in page and "What you typed before the session ended is back" in page
    assert anon.get(part2).text.count('class="restored"') == 2  # a reload keeps them too
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    fields = dict(re.findall(r'<input type="hidden" name="((?:at|was)_\d+)" value="([^"]*)"', page))
    values = {f"value_{m.id}": v for m, v in ((meters[30], "175"), (meters[31], "12.5"))}
    r = anon.post(part2, data={"csrf_token": csrf, "read_by": "王海峰", **values, **fields}, follow_redirects=False)
    assert r.status_code == 303
    saved = readings(session, meters[30])[-1]
    assert saved.value_milli == 175_000 and saved.read_at == posted_at and saved.read_by == "王海峰"
    assert readings(session, meters[31])[-1].value_milli == 12_500
    assert 'class="restored"' not in anon.get(part2).text  # sent again: kept no longer


def test_a_kept_sheet_is_shown_only_on_its_own_sheet(anon, session, block, frozen_now):
    c, _b, meters = block
    other = make_building(session, compound=c)
    make_meter(session, compound=c, building=other)
    user = make_user(session, role=Role.maintenance, compounds=[c])
    csrf = login(anon, user.username)
    clock.set_clock(lambda: frozen_now + timedelta(minutes=61))
    anon.post(path(block), data={"csrf_token": csrf, f"value_{meters[0].id}": "175"}, follow_redirects=False)
    _relogin(anon, user.username, f"/c/{c.id}/rounds/building/{other.id}")
    assert "175" not in anon.get(f"/c/{c.id}/rounds/building/{other.id}").text
    assert 'value="175"' in anon.get(path(block)).text


# Only what the role may do


@pytest.mark.parametrize("role", [Role.finance, Role.manager, Role.admin])
def test_roles_that_may_not_enter_readings_see_the_sheet_without_inputs(client_as, block, role):
    html = client_as(role).get(path(block)).text
    assert "9号楼1单元1层" in html and "Last reading" in html
    assert "<input" not in html.split("<main>")[1].split("</form>\n<nav")[0].replace('type="hidden"', "")
    assert not inputs(html) and "Save readings" not in html and 'name="read_by"' not in html
    assert "this sheet is for viewing" in html


def test_maintenance_gets_the_inputs(client, block):
    html = client.get(path(block)).text
    assert len(inputs(html)) == 30 and "Save readings" in html and 'name="read_by"' in html
