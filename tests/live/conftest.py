"""A real server (uvicorn in a thread of this process) on the test database, for what only a real server shows:
connections of their own, requests at the same instant, the order of commit and answer.

The app runs with the real get_session (no override), so what it saves is committed for good: the tests seed
a compound of their own (a unique code), remove its rows afterwards, and run after the rest of the suite.
"""

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from sqlmodel import Session, SQLModel

WRITERS = 20


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run last: the rows they commit (the audit trail keeps its entries for good) must not reach other tests."""
    live = [i for i in items if "tests/live/" in str(i.fspath).replace("\\", "/")]
    items[:] = [i for i in items if i not in live] + live


@dataclass
class Live:
    base: str
    compound_id: int
    meter_ids: list[int]  # WRITERS + 3 of them, unread: one per writer, then one for each test of one meter
    tokens: list[str]  # WRITERS + 1 tokens of one maintenance user: one per client
    token_ids: list[int]

    def headers(self, i: int) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[i]}"}


def _seed(engine: sa.Engine) -> tuple[int, list[int], list[str], list[int]]:
    from compound.auth import service
    from compound.auth.models import Role
    from compound.register.models import Compound
    from tests.factories import make_building, make_meter
    from tests.personas import make_user

    with Session(engine, expire_on_commit=False) as s:
        c = Compound(code=f"LV{uuid.uuid4().hex[:10]}", name="Live compound")
        s.add(c)
        s.flush()
        b = make_building(s, compound=c)
        meters = [make_meter(s, compound=c, building=b, serial=f"LV-{i:03d}") for i in range(WRITERS + 3)]
        user = make_user(s, role=Role.maintenance, compounds=[c], username=f"live-{c.code.lower()}")
        made = [service.create_token(s, user=user, name=f"client {i}") for i in range(WRITERS + 1)]
        s.commit()
        return c.id, [m.id for m in meters], [plain for plain, _ in made], [row.id for _, row in made]


def _drop(engine: sa.Engine, compound_id: int) -> None:
    """The compound's rows, children first; the audit trail (append-only) and the user stay, as in tests/browser."""
    with engine.begin() as conn:
        for table in reversed(SQLModel.metadata.sorted_tables):
            if "compound_id" in table.c and not table.name.startswith("audit"):
                conn.execute(sa.delete(table).where(table.c.compound_id == compound_id))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def live(engine: sa.Engine) -> Iterator[Live]:
    import uvicorn

    from compound.shell.app import create_app

    cid, meter_ids, tokens, token_ids = _seed(engine)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield Live(f"http://127.0.0.1:{port}", cid, meter_ids, tokens, token_ids)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        _drop(engine, cid)
