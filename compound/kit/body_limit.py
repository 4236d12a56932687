"""Request bodies over a configured size are refused with a 413 before they are read.

Without it a 160 MB form posted to /login, by anyone, kept a worker busy for 50 s before the form parser
gave up. A body that declares its length is refused on its headers alone; one sent in chunks without a
Content-Length is counted as it arrives and refused at the first byte past the limit. Paths that take a
file upload (the readings import) get the larger upload limit; every other path the body limit.
"""

import re
from collections.abc import Iterable

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from compound.kit.errors import AppError
from compound.kit.i18n import gettext as _
from compound.kit.web import render


class BodyTooLarge(HTTPException):
    """413. A starlette HTTPException, so FastAPI lets it through its body parsing (any other error there
    becomes a 400) and the app's handler answers it in the reader's language."""

    def __init__(self, limit: int):
        self.limit = limit
        super().__init__(413, detail=_("The request is larger than %(size)s; nothing was saved.", size=size(limit)))


def size(limit: int) -> str:
    """2097152 → '2 MB', 65536 → '64 KB', 100 → '100 B'."""
    if limit >= 2**20:
        return f"{limit / 2**20:.0f} MB"
    return f"{limit / 2**10:.0f} KB" if limit >= 2**10 else f"{limit} B"


def response(request: Request, exc: BodyTooLarge) -> Response:
    """JSON under /api (or when JSON is asked for), the error page elsewhere; the connection is closed after it
    (the rest of the body was never read)."""
    error = AppError(str(exc.detail), field="body")
    headers = {"Connection": "close"}
    if request.url.path.startswith("/api") or "application/json" in request.headers.get("accept", ""):
        body = {"error": "BodyTooLarge", "detail": error.message, "field": "body", "limit_bytes": exc.limit}
        return JSONResponse(body, status_code=413, headers=headers)
    page = render(request, "error.html", {"error": error}, status_code=413)
    page.headers.update(headers)
    return page


class BodyLimit:
    """ASGI middleware: refuse a body over max_body bytes (max_upload on upload_paths, full-match regexes)."""

    def __init__(self, app: ASGIApp, *, max_body: int, max_upload: int, upload_paths: Iterable[str] = ()) -> None:
        self.app = app
        self.max_body = max_body
        self.max_upload = max(max_upload, max_body)
        patterns = [f"(?:{p})" for p in upload_paths]
        self.uploads = re.compile("|".join(patterns)) if patterns else None

    def limit(self, path: str) -> int:
        return self.max_upload if self.uploads and self.uploads.fullmatch(path) else self.max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit(scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await response(Request(scope), BodyTooLarge(limit))(scope, receive, send)
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge as exc:  # raised where no handler answers it (a middleware reading the body)
            if started:
                raise
            await response(Request(scope), exc)(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses a malformed length itself
    return None
