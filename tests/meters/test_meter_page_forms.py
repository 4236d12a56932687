"""The meter page's forms as a reader uses them (issue 7, items 13 and 15): a refusal gives the real reason beside
the form that failed, on an address that can be reloaded, with what was typed; only the forms the role may use."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from compound.auth.models import Role
from meters.models import Meter, MeterStatus, Reading, Seal
from meters.register import seals
from tests.factories import add_reading, make_building, make_compound, make_meter

DAY = timedelta(days=1)


@pytest.fixture
def meter(session, frozen_now):
    c = make_compound(session)
    m = make_meter(session, compound=c, building=make_building(session, compound=c), serial="W-101")
    for k, value in enumerate(("100", "130", "160")):
        add_reading(session, compound=c, meter=m, value=value, at=frozen_now - (90 - 30 * k) * DAY)
    session.commit()
    return c, m


def page_of(c, m) -> str:
    return f"/c/{c.id}/meters/{m.id}"


def replace(client, c, m, **typed):
    data = {"final_value": "165", "new_serial": "W-101-N", "new_value": "0", "at": "2026-11-01T10:00"} | typed
    return client.post(f"{page_of(c, m)}/replace", data=data, follow_redirects=False)


def form_part(html: str, anchor: str) -> str:
    """The page from the form's anchor to the end of that form."""
    start = html.index(f'id="{anchor}"')
    return html[start : html.index("</form>", start)]


@pytest.mark.parametrize(
    ("typed", "field", "reason"),
    [
        ({"final_value": "150"}, "Final reading of the old meter", "150 is lower than the previous reading 160"),
        ({"new_value": "abc"}, "First reading of the new meter", "“abc” is not a number."),
        ({"new_value": "-1"}, "First reading of the new meter", "A meter reading cannot be negative."),
        ({"final_value": "x1"}, "Final reading of the old meter", "“x1” is not a number."),
    ],
)
def test_a_refused_replacement_says_the_real_reason_beside_its_form(client, session, meter, typed, field, reason):
    c, m = meter
    r = replace(client, c, m, **typed)
    assert r.status_code == 303 and r.headers["location"] == f"{page_of(c, m)}?form=replace#replace"
    html = client.get(r.headers["location"]).text
    form = form_part(html, "replace")
    assert field in form and reason in form and "The reading was not saved." in form
    assert '<details id="replace" open>' in html
    for name, value in typed.items():  # typed values kept, the refused field marked and focused
        typed_input = f'name="{name}" inputmode="decimal" autocomplete="off" value="{value}" required'
        assert f'{typed_input} aria-invalid="true" autofocus' in form
    assert session.get(Meter, m.id).status == MeterStatus.active
    assert session.scalars(sa.select(sa.func.count()).select_from(Meter).where(Meter.compound_id == c.id)).one() == 1


def test_the_refused_form_stays_across_a_reload_and_the_language_switch(client, session, meter):
    c, m = meter
    target = replace(client, c, m, final_value="150").headers["location"].split("#")[0]
    assert "lower than the previous reading" in form_part(client.get(target).text, "replace")  # reloaded
    switched = client.get(f"/lang/zh_Hans?next={target.replace('?', '%3F').replace('=', '%3D')}")
    assert switched.status_code == 200 and switched.url.path == page_of(c, m)
    form = form_part(switched.text, "replace")
    assert "读数未保存" in form or "未保存" in form
    assert "低于" in form and 'value="150"' in form  # the reason said again in Chinese, the value kept


def test_the_language_link_keeps_the_pages_query(client, meter):
    c, m = meter
    html = client.get(f"{page_of(c, m)}?form=replace").text
    assert f"/lang/zh_Hans?next={page_of(c, m).replace('/', '%2F')}%3Fform%3Dreplace" in html or (
        f"next={page_of(c, m)}%3Fform%3Dreplace" in html
    )


def test_a_success_clears_the_refusal(client, session, meter):
    c, m = meter
    replace(client, c, m, final_value="150")
    r = client.post(
        f"{page_of(c, m)}/seals",
        data={"number": "S-1", "sealed_date": "2026-10-30", "sealed_by": "Wang"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == page_of(c, m)
    assert "lower than the previous reading" not in client.get(f"{page_of(c, m)}?form=replace").text


def test_a_refused_seal_says_why_beside_the_seal_form(client, session, meter):
    c, m = meter
    seals.add_seal(
        session,
        compound=c,
        meter=m,
        number="S-1",
        sealed_date=m.installed_date or __import__("datetime").date(2026, 1, 5),
        sealed_by="Wang",
    )
    session.commit()
    data = {"number": "S-2", "sealed_date": "2026-10-30", "sealed_by": "Li"}
    r = client.post(f"{page_of(c, m)}/seals", data=data, follow_redirects=False)
    assert r.headers["location"] == f"{page_of(c, m)}?form=seal#seal"
    form = form_part(client.get(r.headers["location"]).text, "seal")
    assert "already has intact seal S-1" in form and 'value="S-2"' in form
    assert len(session.scalars(sa.select(Seal).where(Seal.meter_id == m.id)).all()) == 1


def test_a_refused_break_says_why_beside_that_seals_form(client, session, meter):
    c, m = meter
    seal = seals.add_seal(
        session,
        compound=c,
        meter=m,
        number="S-1",
        sealed_date=__import__("datetime").date(2026, 10, 1),
        sealed_by="Wang",
    )
    session.commit()
    data = {"broken_date": "2026-09-01", "broken_by": "Zhao", "note": "wire cut"}
    r = client.post(f"{page_of(c, m)}/seals/{seal.id}/break", data=data, follow_redirects=False)
    assert r.headers["location"] == f"{page_of(c, m)}?form=break-{seal.id}#break-{seal.id}"
    form = form_part(client.get(r.headers["location"]).text, f"break-{seal.id}")
    assert "it cannot be broken before that" in form and 'value="Zhao"' in form and 'value="wire cut"' in form
    session.refresh(seal)
    assert seal.broken_date is None


# Only what the role may do


@pytest.mark.parametrize("role", [Role.finance, Role.manager, Role.admin])
def test_roles_that_may_not_service_meters_see_no_seal_or_replacement_forms(client_as, session, meter, role):
    c, m = meter
    seals.add_seal(
        session,
        compound=c,
        meter=m,
        number="S-9",
        sealed_date=__import__("datetime").date(2026, 10, 1),
        sealed_by="Wang",
    )
    session.commit()
    html = client_as(role).get(page_of(c, m)).text
    assert "Seal S-9, sealed 2026-10-01 by Wang" in html  # the facts, read-only
    assert '<form method="post" action="/c/' not in html
    for words in ("Add a seal", "Record a replacement", "Record this seal as broken", "Estimate the missed reading"):
        assert words not in html


def test_maintenance_sees_the_forms(client, session, meter):
    c, m = meter
    html = client.get(page_of(c, m)).text
    assert "Add a seal" in html and "Record a replacement" in html
    assert len(session.scalars(sa.select(Reading).where(Reading.meter_id == m.id)).all()) == 3
