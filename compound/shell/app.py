"""The app shell: builds the FastAPI app from every package's routers. Nothing imports this module."""

import importlib.util
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from starlette.middleware.sessions import SessionMiddleware

from compound.auth.deps import Public
from compound.kit import http_errors, i18n
from compound.kit.db import get_engine
from compound.kit.settings import get_settings
from compound.kit.web import STATIC
from compound.shell import packages, security

LANG_COOKIE = "lang"
# Swagger UI 5 (it reads FastAPI's OpenAPI 3.1; the older swagger-ui-bundle could not), from an installed package.
SWAGGER_UI = Path(importlib.util.find_spec("fastapi_offline").origin).parent / "static"


def create_app() -> FastAPI:
    settings = get_settings()
    security.check_settings(settings)
    app = FastAPI(
        title="Compound utilities",
        version="0.1.0",
        docs_url=None,
        redoc_url=None,
        description="Register, meter tree and readings of a government office compound. "
        "Authenticate with `Authorization: Bearer <API token>` (create one on /account).",
    )
    http_errors.install(app)
    http_errors.document_errors(app)
    security.install(app, settings, packages.upload_paths())

    @app.middleware("http")
    async def locale(request: Request, call_next):  # type: ignore[no-untyped-def]
        chosen = i18n.normalize(request.cookies.get(LANG_COOKIE)) or i18n.from_accept_language(
            request.headers.get("accept-language")
        )
        i18n.set_locale(chosen or settings.default_locale)
        return await call_next(request)

    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        same_site="lax",
        session_cookie="compound_flash",
        https_only=settings.environment == "production",
    )
    # Swagger UI from the package, not a CDN: the compound's network may have no way out. Mounted before
    # /static, which would otherwise answer (404) for everything under /static/swagger.
    app.mount("/static/swagger", StaticFiles(directory=SWAGGER_UI), name="swagger")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/docs", include_in_schema=False, dependencies=[Public])
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="Compound utilities API",
            swagger_js_url="/static/swagger/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger/swagger-ui.css",
            swagger_favicon_url="/static/swagger/favicon.png",
        )

    @app.get("/favicon.ico", include_in_schema=False, dependencies=[Public])
    def favicon() -> Response:
        # Browsers ask for it whatever the page links; the same drawing as the pages' icon.
        return FileResponse(STATIC / "favicon.svg", media_type="image/svg+xml")

    @app.get("/healthz", include_in_schema=False, dependencies=[Public])
    def healthz() -> Response:
        try:
            with get_engine().connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:  # the database is down: say so, with a 503
            return JSONResponse({"status": "unavailable", "detail": type(exc).__name__}, status_code=503)
        return JSONResponse({"status": "ok"})

    @app.get("/lang/{code}", include_in_schema=False, dependencies=[Public])
    def set_language(code: str, next: str = "/") -> Response:
        target = next if next.startswith("/") and not next.startswith("//") else "/"
        response = RedirectResponse(target, status_code=303)
        if loc := i18n.normalize(code):
            response.set_cookie(LANG_COOKIE, loc, max_age=365 * 86400, samesite="lax", httponly=True)
        return response

    for router in packages.routers():
        app.include_router(router, responses=http_errors.ERROR_RESPONSES)
    security.trust_proxies(app, settings)
    return app
