"""Response security headers, and the refusal to run in production with a default secret."""

from fastapi import FastAPI, Request
from fastapi.responses import Response

from compound.kit.body_limit import BodyLimit
from compound.kit.settings import DEFAULT_SECRET, Settings

# The API docs page loads Swagger UI from our own /static, so 'self' is enough everywhere.
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


class InsecureSettings(RuntimeError):
    pass


def check_settings(settings: Settings) -> None:
    """Outside development and tests a real secret is required."""
    if settings.environment not in ("development", "test") and (
        settings.secret_key == DEFAULT_SECRET or len(settings.secret_key) < 32
    ):
        raise InsecureSettings(
            "COMPOUND_SECRET_KEY must be set to a random value of at least 32 characters when "
            f"COMPOUND_ENVIRONMENT={settings.environment}; "
            "e.g. python -c 'import secrets; print(secrets.token_hex(32))'"
        )


NUL_MESSAGE = "Text cannot contain the NUL character (\\u0000)."
# How a NUL arrives: raw, JSON-escaped, or percent-encoded in a form or a query string.
_NUL_MARKS = (b"\x00", b"\\u0000", b"%00")


def _has_nul(data: bytes) -> bool:
    lowered = data.lower()
    return any(mark in lowered for mark in _NUL_MARKS)


class RefuseNul:
    """422 for a NUL character in the query string or a JSON/form body.

    PostgreSQL cannot store NUL in text; refusing it at the door gives one clear answer on both databases
    instead of a database error. File uploads (multipart) pass untouched: a spreadsheet is binary.
    """

    def __init__(self, app) -> None:  # type: ignore[no-untyped-def]
        self.app = app

    async def __call__(self, scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _has_nul(scope.get("query_string", b"")):
            await _refuse(scope, receive, send, "query")
            return
        content_type = dict(scope["headers"]).get(b"content-type", b"")
        if content_type.startswith(b"multipart/"):
            await self.app(scope, receive, send)
            return
        messages, body, more = [], b"", True
        while more:
            message = await receive()
            messages.append(message)
            body += message.get("body", b"")
            more = message.get("more_body", False) and message["type"] == "http.request"
        if _has_nul(body):
            await _refuse(scope, receive, send, "body")
            return

        async def replay():  # type: ignore[no-untyped-def]
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)


async def _refuse(scope, receive, send, field: str) -> None:  # type: ignore[no-untyped-def]
    from starlette.responses import JSONResponse

    response = JSONResponse({"error": "InvalidInput", "detail": NUL_MESSAGE, "field": field}, status_code=422)
    await response(scope, receive, send)


def install(app: FastAPI, settings: Settings, upload_paths: list[str]) -> None:
    app.add_middleware(RefuseNul)
    # Outside RefuseNul, which reads whole bodies; inside the headers and the locale, so a 413 has both.
    app.add_middleware(
        BodyLimit,
        max_body=settings.max_body_bytes,
        max_upload=settings.max_upload_bytes,
        upload_paths=upload_paths,
    )

    @app.middleware("http")
    async def security_headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        response = await call_next(request)
        _secure(request, response)
        return response

    # A 500 is answered by Starlette's outermost layer, outside every middleware: its handler adds them itself.
    if unexpected := app.exception_handlers.get(Exception):

        def unexpected_secured(request: Request, exc: Exception) -> Response:
            response = unexpected(request, exc)
            _secure(request, response)
            return response

        app.add_exception_handler(Exception, unexpected_secured)


def _secure(request: Request, response: Response) -> None:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.url.path == "/docs":  # Swagger UI starts itself with one inline script
        response.headers["Content-Security-Policy"] = CSP.replace(
            "script-src 'self'", "script-src 'self' 'unsafe-inline'"
        )
    if request.url.scheme == "https":
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    # Every page and answer may hold names, phones or amounts: no browser or proxy keeps a copy.
    if not request.url.path.startswith("/static/"):
        response.headers.setdefault("Cache-Control", "no-store")


def trust_proxies(app: FastAPI, settings: Settings) -> None:
    """Believe X-Forwarded-For and -Proto only from the proxies configured (COMPOUND_TRUSTED_PROXIES: addresses
    or networks, comma-separated; none by default). Call last: the outermost layer, so every other one, the
    login throttle and the audit trail included, sees the client's address."""
    if proxies := [p.strip() for p in settings.trusted_proxies.split(",") if p.strip()]:
        from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=proxies)
