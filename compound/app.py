"""The app shell: builds the FastAPI app from every package's routers. Nothing imports this module."""

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from starlette.middleware.sessions import SessionMiddleware
from swagger_ui_bundle import swagger_ui_path

import compound.all_models  # noqa: F401  (every table, and which of them the audit trail follows)
from compound import errors_http, i18n, security
from compound.audit import routes as audit_routes
from compound.auth import api as auth_api
from compound.auth import pages as auth_pages
from compound.auth import users_pages
from compound.auth.deps import Public
from compound.db import get_engine
from compound.register import api as register_api
from compound.register import pages as register_pages
from compound.settings import get_settings
from compound.web import ROOT
from meters import api as meters_api
from meters import import_api as meters_import_api
from meters import import_pages as meters_import_pages
from meters import pages as meters_pages
from meters import readings_api as meters_readings_api
from meters import register_pages as meters_register_pages

LANG_COOKIE = "lang"
ROUTERS = (
    auth_api,
    register_api,
    meters_api,
    meters_readings_api,
    meters_import_api,
    audit_routes,
    auth_pages,
    users_pages,
    register_pages,
    meters_register_pages,
    meters_pages,
    meters_import_pages,
)


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
    errors_http.install(app)
    errors_http.document_errors(app)
    security.install(app)

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
    app.mount("/static", StaticFiles(directory=ROOT / "compound" / "static"), name="static")
    # Swagger UI from the package, not a CDN: the compound's network may have no way out.
    app.mount("/static/swagger", StaticFiles(directory=swagger_ui_path), name="swagger")

    @app.get("/docs", include_in_schema=False, dependencies=[Public])
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="Compound utilities API",
            swagger_js_url="/static/swagger/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger/swagger-ui.css",
            swagger_favicon_url="/static/swagger/favicon-32x32.png",
        )

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

    for module in ROUTERS:
        app.include_router(module.router, responses=errors_http.ERROR_RESPONSES)
    security.trust_proxies(app, settings)
    return app
