"""The API documentation page draws in a real browser: Swagger UI's script and styles load, and so do the operations."""


def test_the_api_docs_show_their_operations(browser, site):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        failed = []
        page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
        page.goto(site.url("/docs"))
        page.wait_for_selector(".opblock-summary-path", timeout=15_000)
        paths = page.locator(".opblock-summary-path").all_inner_texts()
        assert any("/api/compounds/{compound_id}/meters/{meter_id}/readings" in p for p in paths)
        assert not failed, failed
        page.screenshot(path=str(site.shots / "docs.png"))
    finally:
        context.close()
