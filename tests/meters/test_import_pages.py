"""The readings import page (upload, report, permissions) and the meter page's "estimate the missed reading" button."""

import io
import re
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from meters.models import MeterStatus, Reading, ReadingSource
from tests.factories import add_reading, make_building, make_compound, make_meter

DAY = timedelta(days=1)


@pytest.fixture
def site(session, frozen_now):
    c = make_compound(session, name="Import compound")
    for serial in ("W-001", "W-002"):
        m = make_meter(session, compound=c, serial=serial)
        add_reading(session, compound=c, meter=m, value="100", at=frozen_now - 30 * DAY)
    return c


def _url(c) -> str:
    return f"/c/{c.id}/import"


def _csv(*lines: str) -> bytes:
    return ("meter_serial,read_at,value,note\n" + "".join(f"{line}\n" for line in lines)).encode()


def _imported(session, c) -> list[int]:
    q = sa.select(Reading.value_milli).where(Reading.compound_id == c.id, Reading.source == ReadingSource.import_)
    return sorted(session.execute(q).scalars())


def _report_rows(html: str) -> list[tuple[str, str, str]]:
    """(row, serial, code) of each row of the report table of rows not saved."""
    found = re.findall(
        r'<tr class="(?:refused|confirm)" data-code="([a-z_]+)">\s*<td data-label="Row">(\d+)</td>\s*'
        r'<td data-label="Meter serial">([^<]*)</td>',
        html,
    )
    return [(row, serial, code) for code, row, serial in found]


# The import page


def test_the_page_shows_the_form_the_modes_and_the_templates(client, site):
    r = client.get(_url(site))
    assert r.status_code == 200
    assert 'enctype="multipart/form-data"' in r.text and 'name="file"' in r.text
    assert 'type="checkbox" name="partial"' in r.text and 'name="csrf_token"' in r.text
    assert "All-or-nothing" in r.text and "Partial" in r.text
    assert f"/api/compounds/{site.id}/readings/template.csv" in r.text
    assert f"/api/compounds/{site.id}/readings/template.xlsx" in r.text


def test_the_template_links_download(client, site):
    page = client.get(_url(site)).text
    for link in re.findall(r'href="(/api/compounds/\d+/readings/template\.(?:csv|xlsx))"', page):
        r = client.get(link)
        assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]


def test_all_or_nothing_with_a_bad_row_answers_422_lists_the_row_and_saves_nothing(client, session, site):
    data = _csv("W-001,2026-10-31,110,", "W-002,2026-10-31,90,")
    r = client.post(_url(site), files={"file": ("round.csv", data, "text/csv")})
    assert r.status_code == 422, r.text
    assert _report_rows(r.text) == [("3", "W-002", "lower_than_previous")]
    assert "Nothing was saved" in r.text and "all-or-nothing" in r.text
    assert "is lower than the previous reading" in r.text
    assert _imported(session, site) == []


def test_partial_keeps_the_valid_rows_and_shows_the_report(client, session, site):
    data = _csv("W-001,2026-10-31,110,", "W-002,2026-10-31,90,", ",2026-10-31,5,")
    r = client.post(_url(site), data={"partial": "1"}, files={"file": ("round.csv", data, "text/csv")})
    assert r.status_code == 200, r.text
    assert "Mode partial: 1 of 3 rows saved, 2 not saved." in r.text
    assert _report_rows(r.text) == [("3", "W-002", "lower_than_previous"), ("4", "—", "missing_serial")]
    assert 'name="partial" value="1" checked' in r.text  # the next upload keeps the chosen mode
    assert _imported(session, site) == [110_000]


def test_a_clean_file_is_saved_and_reported(client, session, site):
    r = client.post(_url(site), files={"file": ("round.csv", _csv("W-001,2026-10-31,110,", "W-002,2026-10-31,111,"))})
    assert r.status_code == 200
    assert "2 of 2 rows saved" in r.text and _report_rows(r.text) == []
    assert _imported(session, site) == [110_000, 111_000]


def test_an_xlsx_upload_is_imported(client, session, site):
    wb = Workbook()
    wb.active.append(["meter_serial", "read_at", "value", "note"])
    wb.active.append(["W-001", datetime(2026, 10, 31, 8, 0), 105.25, "ground floor"])
    buf = io.BytesIO()
    wb.save(buf)
    r = client.post(_url(site), files={"file": ("round.xlsx", buf.getvalue())})
    assert r.status_code == 200, r.text
    assert "1 of 1 rows saved" in r.text
    assert _imported(session, site) == [105_250]


def test_a_wrong_file_type_is_refused_with_a_message_naming_the_file(client, session, site):
    r = client.post(_url(site), files={"file": ("readings.doc", b"hello")})
    assert r.status_code == 422
    assert "“readings.doc” is neither a .csv nor an .xlsx file." in r.text
    assert _imported(session, site) == []


def test_a_missing_column_is_named(client, site):
    r = client.post(_url(site), files={"file": ("round.csv", b"meter_serial,value\nW-001,1\n")})
    assert r.status_code == 422 and "read_at" in r.text


def test_posting_without_a_file_asks_for_one(client, site):
    r = client.post(_url(site), data={"partial": "1"})
    assert r.status_code == 422 and "Choose a .csv or .xlsx file" in r.text


@pytest.mark.role("finance")
def test_a_finance_user_gets_403_on_the_page_and_the_upload(client, session, site):
    assert client.get(_url(site)).status_code == 403
    r = client.post(_url(site), files={"file": ("round.csv", _csv("W-001,2026-10-31,110,"))})
    assert r.status_code == 403
    assert _imported(session, site) == []


def test_the_compound_home_links_to_the_import_page(client, site):
    assert f'href="{_url(site)}"' in client.get(f"/c/{site.id}/").text


@pytest.mark.role("finance")
def test_the_home_page_hides_the_import_link_from_a_role_that_may_not_import(client, site):
    r = client.get(f"/c/{site.id}/")
    assert r.status_code == 200 and _url(site) not in r.text


def test_the_upload_needs_the_csrf_token_of_a_cookie_session(anon, session, site):
    from tests.personas import login, make_user

    user = make_user(session, role="maintenance", compounds=[site])
    token = login(anon, user.username)
    files = {"file": ("round.csv", _csv("W-001,2026-10-31,110,"))}
    assert anon.post(_url(site), files=files).status_code == 403
    assert _imported(session, site) == []
    page = anon.get(_url(site)).text
    assert f'name="csrf_token" value="{token}"' in page
    r = anon.post(_url(site), data={"csrf_token": token}, files=files)
    assert r.status_code == 200, r.text
    assert _imported(session, site) == [110_000]


# Estimating a missed reading from the meter page


@pytest.fixture
def missed(session, frozen_now):
    """A meter read once a month (1 unit a day) and last read 30 days ago: missed this month."""
    c = make_compound(session, name="Estimate compound")
    m = make_meter(session, compound=c, building=make_building(session, compound=c), serial="E-1")
    for k, value in enumerate(("100", "130", "160")):
        add_reading(session, compound=c, meter=m, value=value, at=frozen_now - (90 - 30 * k) * DAY)
    return c, m


def _meter_url(c, m) -> str:
    return f"/c/{c.id}/meters/{m.id}"


def _estimates(session, m) -> list[Reading]:
    q = sa.select(Reading).where(Reading.meter_id == m.id, Reading.source == ReadingSource.estimated)
    return list(session.scalars(q))


def test_the_meter_page_offers_an_estimate_for_a_missed_meter(client, missed):
    c, m = missed
    r = client.get(_meter_url(c, m))
    assert "Estimate the missed reading" in r.text and f'action="{_meter_url(c, m)}/estimate"' in r.text


def test_the_estimate_button_saves_an_estimated_reading_and_redirects_with_a_flash(client, session, missed, frozen_now):
    c, m = missed
    r = client.post(f"{_meter_url(c, m)}/estimate", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == _meter_url(c, m)
    [e] = _estimates(session, m)
    assert e.read_at == frozen_now and e.value_milli == 190_000 and e.consumption_milli == 30_000
    page = client.get(r.headers["location"]).text
    assert "Estimated reading 190 saved for meter E-1" in page
    assert "Estimate the missed reading" not in page  # estimated this month: no second button


def test_a_second_estimate_in_the_month_is_refused_with_its_reason(client, session, missed):
    c, m = missed
    client.post(f"{_meter_url(c, m)}/estimate")
    r = client.post(f"{_meter_url(c, m)}/estimate", follow_redirects=False)
    assert r.status_code == 422 and "already has an estimated reading this month" in r.text
    assert len(_estimates(session, m)) == 1


def test_a_meter_read_this_month_gets_no_button_and_no_estimate(client, session, missed, frozen_now):
    c, m = missed
    add_reading(session, compound=c, meter=m, value="189", at=frozen_now - timedelta(hours=2))
    assert "Estimate the missed reading" not in client.get(_meter_url(c, m)).text
    r = client.post(f"{_meter_url(c, m)}/estimate")
    assert r.status_code == 422 and "was read this month" in r.text
    assert _estimates(session, m) == []


def test_too_little_history_is_refused_with_the_services_reason(client, session, frozen_now):
    c = make_compound(session)
    m = make_meter(session, compound=c, serial="N-1")
    add_reading(session, compound=c, meter=m, value="100", at=frozen_now - 40 * DAY)
    assert "Estimate the missed reading" not in client.get(_meter_url(c, m)).text
    r = client.post(f"{_meter_url(c, m)}/estimate")
    assert r.status_code == 422
    assert "No estimate was made." in r.text and "has too little history to estimate a reading" in r.text
    assert _estimates(session, m) == []


def test_a_removed_meter_gets_no_estimate(client, session, missed):
    c, m = missed
    m.status = MeterStatus.removed
    m.removed_date = datetime(2026, 10, 20).date()
    session.flush()
    assert "Estimate the missed reading" not in client.get(_meter_url(c, m)).text
    r = client.post(f"{_meter_url(c, m)}/estimate")
    assert r.status_code == 422 and "it takes no more readings" in r.text
    assert _estimates(session, m) == []


@pytest.mark.role("finance")
def test_a_finance_user_may_not_estimate(client, session, missed):
    c, m = missed
    assert "Estimate the missed reading" not in client.get(_meter_url(c, m)).text
    assert client.post(f"{_meter_url(c, m)}/estimate").status_code == 403
    assert _estimates(session, m) == []
