"""A real headless Chromium against the real app, served by uvicorn on a free localhost port.

Skipped (with the reason) when /usr/bin/chromium or Playwright is missing. The app runs in this process,
so it shares the test database (tests/conftest.py's TEST_URL) and the frozen clock.
"""

import os
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session, SQLModel

from tests.conftest import NOW

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
METERS = 10


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark (and maybe skip) the browser tests, and run them last: the rows they commit (the audit trail
    keeps its entries for good) must not show up in the other tests' counts."""
    in_browser = [i for i in items if "tests/browser/" in str(i.fspath).replace("\\", "/")]
    items[:] = [i for i in items if i not in in_browser] + in_browser
    reason = None
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is not installed"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            reason = "playwright is not installed (pip install playwright)"
    if reason and in_browser and os.environ.get("COMPOUND_REQUIRE_BROWSER"):
        # CI sets this: a run whose browser tests all skipped would pass without having looked at a page.
        raise pytest.UsageError(f"the browser tests cannot run: {reason}")
    for item in in_browser:
        item.add_marker(pytest.mark.browser)
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))


@dataclass
class Site:
    base: str
    compound_id: int
    building_id: int
    meter_ids: list[int]  # in walking order
    shots: Path
    username: str

    def url(self, path: str) -> str:
        return self.base + path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _seed(engine: sa.Engine) -> tuple[int, int, list[int], str]:
    """A committed compound of its own (a unique code): one building of ten meters with three months of history."""
    from compound.auth.models import Role
    from compound.register.models import Building, Compound, Zone, ZoneKind
    from meters.models import Meter, MeterRole, Utility
    from meters.readings.service import estimate_reading, record_reading
    from tests.personas import make_user

    with Session(engine, expire_on_commit=False) as s:
        c = Compound(code=f"BR{uuid.uuid4().hex[:10]}", name="浏览器测试大院 Browser compound")
        s.add(c)
        s.flush()
        z = Zone(compound_id=c.id, name="生活区 Living", kind=ZoneKind.living)
        s.add(z)
        s.flush()
        b = Building(compound_id=c.id, zone_id=z.id, name="3号楼 Block 3")
        s.add(b)
        s.flush()
        meters = []
        for i in range(METERS):
            m = Meter(
                compound_id=c.id,
                utility=Utility.water if i % 3 else Utility.electricity,
                serial=f"W3-{i + 1:03d}",
                location=f"3号楼 {i // 2 + 1}单元 {101 + i}室",
                role=MeterRole.billing,
                building_id=b.id,
                zone_id=z.id,
                dials=6,
                walk_order=i,
            )
            s.add(m)
            meters.append(m)
        s.flush()
        for i, m in enumerate(meters[:-1]):  # the last meter has never been read
            for k in range(3):
                at = NOW - timedelta(days=95 - 30 * k)
                record_reading(s, compound=c, meter=m, value=str(1000 + 100 * i + 30 * k), read_at=at, now=at)
        estimate_reading(s, compound=c, meter=meters[1], at=NOW - timedelta(days=2), now=NOW)
        user = make_user(s, role=Role.maintenance, compounds=[c], username=f"reader-{c.code.lower()}")
        s.commit()
        return c.id, b.id, [m.id for m in meters], user.username


def _drop(engine: sa.Engine, compound_id: int) -> None:
    """Remove the test's rows, children first, so the rest of the suite sees no meters or readings of it.

    The audit trail is append-only (the database refuses deletes), so it and the compound row it points to stay;
    so does the reader's user row (its sessions and log-in attempts point at it). Both have unique names.
    """
    with engine.begin() as conn:
        for table in reversed(SQLModel.metadata.sorted_tables):
            if "compound_id" in table.c and not table.name.startswith("audit"):
                conn.execute(sa.delete(table).where(table.c.compound_id == compound_id))
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM compound WHERE id = :id"), {"id": compound_id})
    except sa.exc.IntegrityError:
        pass  # audit entries still point at it


@pytest.fixture(scope="module")
def site(engine: sa.Engine) -> Iterator[Site]:
    import uvicorn

    from compound.shell.app import create_app

    cid, bid, meter_ids, username = _seed(engine)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    shots = Path(tempfile.mkdtemp(prefix="compound-shots-"))
    try:
        yield Site(f"http://127.0.0.1:{port}", cid, bid, meter_ids, shots, username)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        _drop(engine, cid)
        print(f"\nscreenshots in {shots}")


def _fontconfig(tmp: Path) -> Path:
    """The test machine may have no Chinese font: lend Chromium the one mplfonts ships (screenshots only)."""
    import mplfonts

    conf = tmp / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        '<include ignore_missing="yes">/etc/fonts/fonts.conf</include>'
        f"<dir>{Path(mplfonts.__file__).parent / 'fonts'}</dir><cachedir>{tmp / 'cache'}</cachedir></fontconfig>"
    )
    return conf


@pytest.fixture(scope="module")
def browser(site: Site):
    from playwright.sync_api import sync_playwright

    env = {**os.environ, "FONTCONFIG_FILE": str(_fontconfig(site.shots))}
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, env=env)
        try:
            yield b
        finally:
            b.close()


def signed_in_phone(browser, site: Site, *, locale: str, javascript: bool = True):
    """A 375 × 740 phone screen whose reader has logged in through the login form."""
    from tests.personas import PASSWORD

    context = browser.new_context(viewport={"width": 375, "height": 740}, locale=locale, java_script_enabled=javascript)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(site.url("/login"))
    page.fill("input[name=username]", site.username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("form[action='/login'] button[type=submit], form[action='/login'] input[type=submit]")
    return context, page


@pytest.fixture
def phone(browser, site):
    """A signed-in phone, in English."""
    context, page = signed_in_phone(browser, site, locale="en-US")
    yield page
    context.close()
