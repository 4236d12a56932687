"""Response security headers, and the refusal to run in production with a default secret."""

from fastapi import FastAPI, Request

from compound.settings import DEFAULT_SECRET, Settings

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


def install(app: FastAPI) -> None:
    @app.middleware("http")
    async def security_headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        response = await call_next(request)
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if request.url.path == "/docs":  # Swagger UI starts itself with one inline script
            response.headers["Content-Security-Policy"] = CSP.replace(
                "script-src 'self'", "script-src 'self' 'unsafe-inline'"
            )
        if request.url.scheme == "https":
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if request.url.path.startswith(("/api", "/login", "/account", "/users", "/audit")):
            response.headers.setdefault("Cache-Control", "no-store")
        return response
