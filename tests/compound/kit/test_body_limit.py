"""Bodies over the configured size are refused with a 413 before they are read (issue 7, item 5).

Through the app's ASGI interface (counting what it reads), through the test client, and through a real
server over a socket: a 160 MB form to /login, declared or chunked, is answered after a few bytes.
"""

import asyncio
import select
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from compound.kit.body_limit import BodyLimit
from compound.kit.settings import get_settings

MB = 2**20


@pytest.fixture
def tight(monkeypatch) -> Iterator[None]:
    """Small limits for the app the test builds: bodies 64 KB, uploads 256 KB."""
    monkeypatch.setenv("COMPOUND_MAX_BODY_BYTES", str(64 * 1024))
    monkeypatch.setenv("COMPOUND_MAX_UPLOAD_BYTES", str(256 * 1024))
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


def _call(app, path: str, chunks: Iterator[bytes], headers: dict[str, str]) -> tuple[int, dict[str, str], bytes, int]:
    """One request through the ASGI app: (status, headers, body, how many body chunks the app asked for)."""
    asked = 0
    sent: list[dict] = []
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
        "state": {},
    }

    async def receive() -> dict:
        nonlocal asked
        asked += 1
        chunk = next(chunks, None)
        return {"type": "http.request", "body": chunk or b"", "more_body": chunk is not None}

    async def send(message: dict) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], {k.decode(): v.decode() for k, v in start["headers"]}, body, asked


def _megabytes(n: int) -> Iterator[bytes]:
    yield b"username=admin&password="
    for _ in range(n):
        yield b"a" * MB


FORM = {"content-type": "application/x-www-form-urlencoded"}


def test_a_160_mb_login_form_is_refused_on_its_declared_length_without_reading_a_byte(app):
    status, headers, body, asked = _call(app, "/login", _megabytes(160), {**FORM, "content-length": str(160 * MB + 24)})
    assert status == 413 and asked == 0
    assert "content-security-policy" in headers and headers["connection"] == "close"
    assert "larger than 2 MB" in body.decode()


def test_a_chunked_body_without_a_length_is_refused_at_the_limit(app):
    status, headers, body, asked = _call(app, "/login", _megabytes(160), FORM)
    assert status == 413
    assert asked <= 4  # 2 MB of 1 MB chunks (and the first short one): never the 160 MB


def test_a_chunked_json_body_to_the_api_is_refused_with_a_json_413(app):
    chunks = iter([b'{"value": "' + b"1" * MB] * 200)
    status, _, body, asked = _call(
        app, "/api/compounds/1/meters/1/readings", chunks, {"content-type": "application/json"}
    )
    assert status == 413 and asked <= 4
    assert b'"error":"BodyTooLarge"' in body and b'"field":"body"' in body


def test_an_authenticated_client_is_refused_too(tight, client):
    r = client.post("/api/compounds/1/meters/1/readings", json={"value": "1" * (100 * 1024)})
    assert r.status_code == 413, r.text
    assert r.json()["error"] == "BodyTooLarge" and r.json()["limit_bytes"] == 64 * 1024


def test_the_import_takes_files_up_to_the_upload_limit_and_no_larger(tight, client, session):
    from tests.factories import make_compound

    c = make_compound(session)
    url = f"/api/compounds/{c.id}/readings/import"
    under = b"meter_serial,read_at,value\n" + b"X-1,2026-10-31,1\n" * (150 * 1024 // 17)
    r = client.post(url, files={"file": ("r.csv", under, "text/csv")})
    assert r.status_code == 422 and r.json()["error"] == "ImportRefused"  # read and checked: over the body limit
    over = under * 2
    r = client.post(url, files={"file": ("r.csv", over, "text/csv")})
    assert r.status_code == 413 and r.json()["error"] == "BodyTooLarge"


def test_a_page_answers_413_in_the_readers_language(tight, anon):
    r = anon.post("/login", data={"username": "x" * (100 * 1024)}, headers={"Accept-Language": "zh-CN"})
    assert r.status_code == 413
    assert "text/html" in r.headers["content-type"]
    assert "请求大于 64 KB，未保存任何内容。" in r.text


def test_small_bodies_pass_untouched(app):
    chunks = iter([b"username=nobody&password=wrong-password&csrf_token=x"])
    status, _, _, _ = _call(app, "/login", chunks, FORM)
    assert status in (400, 403, 422, 303, 200)  # whatever the login says: not a 413


def test_upload_paths_are_full_matches():
    limiter = BodyLimit(None, max_body=10, max_upload=100, upload_paths=[r"/c/\d+/import"])
    assert limiter.limit("/c/12/import") == 100
    assert limiter.limit("/c/12/import/x") == limiter.limit("/login") == 10


# A real server, over a socket


@pytest.fixture
def server(engine) -> Iterator[int]:
    import uvicorn

    from compound.shell.app import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    yield port
    srv.should_exit = True
    thread.join(timeout=10)


def _status(sock: socket.socket) -> int:
    sock.settimeout(10)
    head = b""
    while b"\r\n" not in head:
        data = sock.recv(4096)
        if not data:
            break
        head += data
    return int(head.split()[1])


def test_a_real_server_answers_a_declared_160_mb_login_form_at_once(server):
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", server)) as sock:
        sock.sendall(
            b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            + f"Content-Length: {160 * MB}\r\n\r\n".encode()
            + b"username=admin&password="
        )
        assert _status(sock) == 413
    assert time.monotonic() - started < 5


def test_a_real_server_stops_a_chunked_login_form_at_the_limit(server):
    sent = 0
    with socket.create_connection(("127.0.0.1", server), timeout=10) as sock:
        sock.sendall(
            b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        chunk = b"%x\r\n%s\r\n" % (256 * 1024, b"a" * 256 * 1024)
        try:
            while sent < 160 * MB and not select.select([sock], [], [], 0.01)[0]:
                sock.sendall(chunk)
                sent += 256 * 1024
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed: its answer is waiting
        assert _status(sock) == 413
    assert sent < 16 * MB  # refused after about 2 MB (and what the socket buffers held), not 160 MB
