"""Post/Redirect/Get for a refused form: the reason and what was typed go with the redirect.

A page with several forms (a meter's seals and replacement, one's account) cannot answer a refused post on
the post's own address: a reload or the language switch would then ask that address for a page (405). So a
refusal is kept in the signed flash cookie and the browser goes (303) to the page, `?form=NAME#NAME`, which
shows the reason beside that form with the values typed. It stays while the reader reloads or switches the
language, until a form of that page succeeds (`clear`) or an hour has passed.
"""

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from fastapi import Request

from compound.kit import clock

KEY = "refused_form"
KEPT_FOR = timedelta(hours=1)
# What is kept must fit the flash cookie (4 KB after base64 and the signature) beside a flash message.
MAX_BYTES = 2400
MAX_VALUE = 200


@dataclass
class Refusal:
    form: str
    values: dict[str, str]
    field: str | None
    message: str
    # What the page needs to say it again in another language: each problem's code and parameters, and the
    # message's own msgid when it has no parameters.
    details: list[dict[str, Any]] = field(default_factory=list)
    message_id: str = ""


def keep(
    request: Request,
    *,
    page: str,
    form: str,
    values: dict[str, str],
    field: str | None,
    message: str,
    details: list[dict[str, Any]] | None = None,
    message_id: str = "",
) -> str:
    """Keep the refusal for `page`; the address to redirect to (the page, naming the form, scrolled to it)."""
    kept = {
        "page": page,
        "form": form,
        "at": clock.now().isoformat(),
        "values": {k: str(v)[:MAX_VALUE] for k, v in values.items() if "password" not in k},
        "field": field,
        "message": message[:500],
        "details": details or [],
        "message_id": message_id,
    }
    if len(json.dumps(kept)) > MAX_BYTES:
        kept["details"] = []
        kept["values"] = {k: v[:40] for k, v in kept["values"].items()}
    request.session[KEY] = kept
    return f"{page}?form={form}#{form}"


def refusal(request: Request, *, page: str) -> Refusal | None:
    """The refusal kept for `page`, when the address still names its form (`?form=`)."""
    kept = request.session.get(KEY) if "session" in request.scope else None
    if not isinstance(kept, dict) or kept.get("page") != page or request.query_params.get("form") != kept.get("form"):
        return None
    try:
        if clock.now() - datetime.fromisoformat(kept["at"]) > KEPT_FOR:
            return None
        return Refusal(
            form=str(kept["form"]),
            values={str(k): str(v) for k, v in kept["values"].items()},
            field=kept.get("field"),
            message=str(kept["message"]),
            details=list(kept.get("details") or []),
            message_id=str(kept.get("message_id") or ""),
        )
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def clear(request: Request, *, page: str) -> None:
    """A form of the page succeeded: its earlier refusal is no longer news."""
    if "session" in request.scope and (request.session.get(KEY) or {}).get("page") == page:
        request.session.pop(KEY, None)
