"""Nothing typed is lost when the session lapses: a page form posted without a live session is kept, the
reader logs in again, and the page the form came from offers the values again.

A round takes longer than the idle timeout and typing is not activity, so the post that ends a round may find
the session gone. The posted fields (never a password or the CSRF token) are kept in the signed flash cookie,
with the form's address and the time they arrived, and the login sends the reader back to the page they were
on. That page asks `kept_form(request, its form's address)` and shows the values in their inputs, to be
checked and sent again: never saved unseen, since the cookie could also have been set by a cross-site post.
Round sheets come in parts of at most 40 meters, so what one post carries fits a cookie.
"""

import json
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from fastapi import Request
from starlette.datastructures import FormData

from compound.kit import clock

KEY = "kept_form"
# The flash cookie holds at most 4 KB after base64 and the signature: what is kept stays under this.
MAX_BYTES = 2600
KEPT_FOR = timedelta(hours=12)  # a session's longest life: a round typed longer ago than that is stale
_NEVER = ("csrf_token", "password")
_TIMES = ("at_", "was_")  # when each value was typed: the first thing given up when space is short


def keep_form(request: Request, form: FormData) -> bool:
    """Keep the posted fields for the page to show again after the login; False when they were too many."""
    fields = {
        name: value
        for name, value in form.multi_items()
        if isinstance(value, str) and value.strip() and not any(word in name for word in _NEVER)
    }
    kept = {"action": request.url.path, "at": clock.now().isoformat(), "fields": fields}
    if len(json.dumps(kept)) > MAX_BYTES:
        kept["fields"] = {k: v for k, v in fields.items() if not k.startswith(_TIMES)}
    if len(json.dumps(kept)) > MAX_BYTES:
        return False
    request.session[KEY] = kept
    return True


def kept_form(request: Request, action: str) -> tuple[dict[str, str], str] | None:
    """The fields kept for the form posting to `action`, and when they were posted; None when there are none."""
    kept = request.session.get(KEY) if "session" in request.scope else None
    if not isinstance(kept, dict) or kept.get("action") != action:
        return None
    try:
        at = datetime.fromisoformat(kept["at"])
    except (KeyError, TypeError, ValueError):
        return None
    if clock.now() - at > KEPT_FOR or not isinstance(kept.get("fields"), dict):
        return None
    return {str(k): str(v) for k, v in kept["fields"].items()}, kept["at"]


def forget_form(request: Request, action: str) -> None:
    """The form was sent again (saved or answered): nothing of it is kept any longer."""
    if "session" in request.scope and (request.session.get(KEY) or {}).get("action") == action:
        request.session.pop(KEY, None)


def page_of(request: Request) -> str:
    """Where the reader was when they posted: the page of the form (this site's Referer), else the form's address."""
    referer = urlsplit(request.headers.get("referer", ""))
    own = urlsplit(str(request.base_url))
    if referer.netloc == own.netloc and referer.path.startswith("/") and not referer.path.startswith("//"):
        return referer.path + (f"?{referer.query}" if referer.query else "")
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")
