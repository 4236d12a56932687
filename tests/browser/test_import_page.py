"""The import page's report on a phone, in Chinese (issue 7, item 18): problems in words, the rows saved,
the report downloadable, nothing wider than the screen."""

import csv
import io
from pathlib import Path

from tests.browser.conftest import Site, signed_in_phone

NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"
# What a zh-CN Excel writes when it saves a sheet as CSV: GB18030, slashes in the dates, Chinese headers.
FILE = (
    "表号,抄表时间,读数,备注\r\n"
    "W3-001,2026/10/30 9:00,1100,\r\n"
    "W3-003,2026年10月30日,900,读数偏低\r\n"
    "W3-404,2026/10/30 9:05,5,\r\n"
    "W3-004,2026/10/30 9:10,1370,\r\n"
).encode("gb18030")


def test_the_chinese_import_report_at_375_px(browser, site: Site):
    context, page = signed_in_phone(browser, site, locale="zh-CN")
    try:
        page.goto(site.url(f"/c/{site.compound_id}/import"))
        page.set_input_files("input[name=file]", files=[{"name": "抄表.csv", "mimeType": "text/csv", "buffer": FILE}])
        page.check("input[name=partial]")
        with page.expect_navigation():
            page.click("form.stack button[type=submit]")
        summary = page.locator("section.report p[role=status]").inner_text()
        assert "已保存 2 行" in summary and "2 行未保存" in summary, summary
        refused = page.locator("table.import-report").inner_text()
        assert "低于上次读数" in refused and "本大院没有此表号" in refused
        assert "lower_than_previous" not in refused and "unknown_meter" not in refused
        saved = page.locator("table.import-saved").inner_text()
        assert "W3-001" in saved and "W3-004" in saved and "2026-10-30 09:00" in saved
        assert page.evaluate(NO_SIDEWAYS_SCROLL)
        page.screenshot(path=str(site.shots / "import_report_zh.png"), full_page=True)
        with page.expect_download() as download:
            page.click("p.downloads a[download$='.csv']")
        rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8-sig"))))
        assert rows[0][:3] == ["行号", "表号", "结果"]
        assert [(r[0], r[2]) for r in rows[1:]] == [("2", "已保存"), ("3", "未保存"), ("4", "未保存"), ("5", "已保存")]
        with page.expect_download() as xlsx:
            page.click("p.downloads a[download$='.xlsx']")
        assert xlsx.value.suggested_filename.endswith(".xlsx")
    finally:
        context.close()
