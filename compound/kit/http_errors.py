"""Errors to responses: JSON under /api, a page elsewhere. Never a bare 500 for bad input."""

import logging
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException

from compound.kit import body_limit
from compound.kit.body_limit import BodyTooLarge
from compound.kit.errors import AppError, Busy
from compound.kit.forms import clerk_message
from compound.kit.i18n import gettext as _
from compound.kit.unit_of_work import is_busy
from compound.kit.web import render

log = logging.getLogger(__name__)
INTERNAL_ERROR = {"error": "InternalError", "detail": "An unexpected error was logged; nothing was saved."}


class FieldError(BaseModel):
    field: str
    message: str
    type: str = ""


class ErrorBody(BaseModel):
    """Every error the API answers: what went wrong, and the field it concerns."""

    model_config = ConfigDict(extra="allow")  # e.g. a refused reading's `problems`
    error: str
    detail: str
    field: str | None = None
    errors: list[FieldError] | None = None


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text}
    for status, text in (
        (401, "Not logged in, or the token is revoked"),
        (403, "Your role may not do this"),
        (404, "No such object in this compound"),
        (409, "Conflicts with what is there"),
        (422, "The input is refused; `field` names the field and `detail` the reason"),
    )
}


def document_errors(app: FastAPI) -> None:
    """The OpenAPI document describes the error bodies the app really sends, not FastAPI's default."""
    default_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = default_openapi()
            schemas = schema.setdefault("components", {}).setdefault("schemas", {})
            body = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
            schemas.update(body.pop("$defs", {}))
            # Every 422 of FastAPI's document points at this name; make it the body the app really sends.
            schemas["HTTPValidationError"] = body
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api") or "application/json" in request.headers.get("accept", "")


def _field(loc: tuple | list) -> str:
    """('body', 'value') → 'value'; ('query', 'limit') → 'limit'."""
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie", "form")]
    return ".".join(parts) or "body"


def install(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    def app_error(request: Request, exc: AppError) -> Response:
        if exc.status_code in (401, 403):
            principal = getattr(request.state, "principal", None)
            log.info(
                "refused %s %s: %s user=%s ip=%s",
                request.method,
                request.url.path,
                exc.status_code,
                principal.view.username if principal else "-",
                request.client.host if request.client else "-",
            )
        if _wants_json(request):
            headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
            return JSONResponse(exc.to_dict(), status_code=exc.status_code, headers=headers)
        if exc.status_code == 401:  # a page asked for without a session: log in, then come back
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
        return render(request, "error.html", {"error": exc}, status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        # In the reader's words and language, like the rules' messages; a body that is not JSON has no field
        # (pydantic would name the character where it stopped reading).
        errors = [
            {
                "field": "body" if e.get("type") == "json_invalid" else _field(e.get("loc", ())),
                "message": clerk_message(e),
                "type": e.get("type", ""),
            }
            for e in exc.errors()
        ]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        if _wants_json(request):
            return JSONResponse(
                {
                    "error": "InvalidInput",
                    "detail": detail,
                    "field": errors[0]["field"] if errors else "body",
                    "errors": errors,
                },
                status_code=422,
            )
        err = AppError(detail)
        return render(request, "error.html", {"error": err}, status_code=422)

    app.add_exception_handler(BodyTooLarge, body_limit.response)  # type: ignore[arg-type]

    @app.exception_handler(StarletteHTTPException)
    def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if _wants_json(request) or exc.status_code < 400:
            return JSONResponse(
                {"error": "HTTPError", "detail": exc.detail},
                status_code=exc.status_code,
                headers=getattr(exc, "headers", None),
            )
        message = _("Page not found.") if exc.status_code == 404 else str(exc.detail)
        return render(request, "error.html", {"error": AppError(message)}, status_code=exc.status_code)

    @app.exception_handler(sa.exc.OperationalError)
    @app.exception_handler(sa.exc.TimeoutError)
    def database_busy(request: Request, exc: Exception) -> Response:
        """Busy for longer than a writer waits (a long import holding the lock): a 503 to retry, not a 500."""
        if not is_busy(exc):
            log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
            return JSONResponse(INTERNAL_ERROR, status_code=500)
        log.warning("database busy on %s %s: %s", request.method, request.url.path, exc)
        response = app_error(request, Busy(_("The database is busy. Nothing was saved; try again in a moment.")))
        response.headers["Retry-After"] = "5"
        return response

    @app.exception_handler(Exception)
    def unexpected(request: Request, exc: Exception) -> Response:
        # Called in a worker thread, outside the `except` that caught it: log.exception would find no
        # exception there ("NoneType: None"). Name it.
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return JSONResponse(INTERNAL_ERROR, status_code=500)
