"""The app shell: builds the FastAPI app from every package's routers. Nothing imports this module."""

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from meters import api as meters_api
from meters import import_api as meters_import_api
from meters import pages as meters_pages
from meters import readings_api as meters_readings_api
from sqlalchemy import text
from starlette.middleware.sessions import SessionMiddleware

from compound import errors_http, i18n
from compound.db import get_engine
from compound.register import api as register_api
from compound.register import pages as register_pages
from compound.settings import get_settings
from compound.web import ROOT

LANG_COOKIE = "lang"


def create_app() -> FastAPI:
    settings = get_settings()
    app = FastAPI(title="Compound utilities", version="0.1.0",
                  description="Register, meter tree and readings of a government office compound.")
    errors_http.install(app)

    @app.middleware("http")
    async def locale(request: Request, call_next):  # type: ignore[no-untyped-def]
        chosen = i18n.normalize(request.cookies.get(LANG_COOKIE)) or i18n.from_accept_language(
            request.headers.get("accept-language"))
        i18n.set_locale(chosen or settings.default_locale)
        return await call_next(request)

    app.add_middleware(SessionMiddleware, secret_key=settings.secret_key, same_site="lax",
                       session_cookie="compound_flash")
    app.mount("/static", StaticFiles(directory=ROOT / "compound" / "static"), name="static")

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> Response:
        try:
            with get_engine().connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:  # the database is down: say so, with a 503
            return JSONResponse({"status": "unavailable", "detail": type(exc).__name__}, status_code=503)
        return JSONResponse({"status": "ok"})

    @app.get("/lang/{code}", include_in_schema=False)
    def set_language(code: str, next: str = "/") -> Response:
        target = next if next.startswith("/") and not next.startswith("//") else "/"
        response = RedirectResponse(target, status_code=303)
        if loc := i18n.normalize(code):
            response.set_cookie(LANG_COOKIE, loc, max_age=365 * 86400, samesite="lax", httponly=True)
        return response

    for module in (register_api, meters_api, meters_readings_api, meters_import_api, register_pages, meters_pages):
        app.include_router(module.router)
    return app
