"""The audit trail's page in words a clerk reads (issue 7 item 20): what was done to what, fields by their
names, yes and no, the compound's local time, and a filter that takes the names it shows."""

import pytest

from compound.auth.models import Role
from compound.register.models import ZoneKind
from meters.models import MeterRole, Utility
from tests.factories import make_compound, make_meter, make_zone
from tests.personas import bearer, make_user


@pytest.fixture
def trail(session):
    c = make_compound(session)
    make_zone(session, compound=c, kind=ZoneKind.office, name="办公区")
    meter = make_meter(session, compound=c, utility=Utility.electricity, role=MeterRole.utility, serial="E-HV")
    meter.hv_side = True
    session.flush()
    manager = make_user(session, role=Role.manager, compounds=[c])
    return c, bearer(session, manager)


def test_the_page_says_what_was_done_in_words(anon, trail):
    c, headers = trail
    page = anon.get("/audit", headers={**headers, "Accept-Language": "zh-CN"}).text
    assert "修改 计量表" in page and "添加 区域" in page
    assert "高压侧计量: 是" in page  # not hv_side=True
    for raw in ("hv_side", "update meter", "create zone", "=False", "=True"):
        assert raw not in page
    english = anon.get("/audit", headers={**headers, "Accept-Language": "en"}).text
    assert "changed meter" in english and "metered on the high-voltage side: yes" in english


def test_the_page_shows_the_compounds_local_time(anon, trail):
    c, headers = trail
    page = anon.get("/audit", headers=headers).text
    # The suite's clock: 09:00 UTC on 1 November, 17:00 in Shanghai.
    assert "2026-11-01 17:00:00" in page and " UTC" not in page


@pytest.mark.parametrize("typed", ["计量表", "meter", "Meter", " 计量表 "])
def test_the_filter_takes_the_names_the_page_shows(anon, trail, typed):
    c, headers = trail
    page = anon.get("/audit", params={"object_type": typed}, headers={**headers, "Accept-Language": "zh-CN"}).text
    assert "计量表" in page and "添加 区域" not in page
    api = anon.get("/api/audit", params={"object_type": typed}, headers=headers).json()
    assert api and {e["object_type"] for e in api} == {"meter"}  # the API answers with the stored names


def test_the_action_filter_takes_its_shown_name_too(anon, trail):
    c, headers = trail
    rows = anon.get("/api/audit", params={"action": "修改"}, headers=headers).json()
    assert rows and {e["action"] for e in rows} == {"update"}
