"""The leadership's monthly report: the written summary in Chinese and English, the charts inline, one A4 file."""

import re

from compound.kit import i18n
from reports.money.report import figures, report_html, summary
from reports.periods import parse_period
from tests.reports.money_site import money_site


def test_the_summary_says_the_loss_rate_the_largest_causes_the_arrears_and_the_bureau(session):
    site = money_site(session)
    f = figures(session, compound=site.compound, period=parse_period("2025-04"))
    text = " ".join(summary(f))
    # Water: 516 m³ in, 36 billed metered; the lawns 300 m³ the largest cause (1,155.00 yuan at 3.85).
    assert "The water loss rate is" in text and "percentage points" in text
    assert "Unmetered public water (landscaping, toilets, offices) 1,155.00 yuan (estimated)" in text
    assert [code for code, _a, _e in f.largest][0] == "unmetered_public_water" and len(f.largest) == 3
    # The leaders' official use of January to April, 35.00 each (issued on the 28th), none funded yet.
    assert "The finance bureau still owes 140.00 yuan" in text
    i18n.set_locale("zh_Hans")
    try:
        zh = " ".join(summary(f))
    finally:
        i18n.set_locale("en")
    assert "水损率" in zh and "财政局" in zh and "140.00" in zh


def test_the_report_is_one_self_contained_a4_document_with_its_font(session):
    site = money_site(session)
    i18n.set_locale("zh_Hans")
    try:
        html = report_html(session, compound=site.compound, period=parse_period("2025-04"))
    finally:
        i18n.set_locale("en")
    assert "@page { size: A4" in html and html.count("<svg") == 5
    assert "月度报告" in html and "供水供电公司收费" in html
    # The Chinese text carries its own font (a subset of Noto Sans CJK), so it prints on any machine.
    assert re.search(r'font-family: "CompoundReport"; src: url\(data:font/otf;base64,', html)
    assert "http://" not in html.split("<svg", 1)[0]  # nothing fetched from elsewhere


def test_the_command_and_the_page(client_as, session, tmp_path):
    site = money_site(session)
    r = client_as("manager").get(f"/c/{site.compound.id}/report?period=2025-04&lang=en")
    assert r.status_code == 200 and "Water and electricity: monthly report" in r.text
    assert client_as("manager").get(f"/c/{site.compound.id}/report?period=2025-Q2").status_code == 422
    assert client_as("manager").get(f"/c/{site.compound.id}/report?period=2025-04&lang=fr").status_code == 422
    assert client_as("maintenance").get(f"/c/{site.compound.id}/report").status_code == 403
