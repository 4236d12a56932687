"""A new API token, shown once on /account after the redirect that follows its creation (Post/Redirect/Get).

The plain token is never stored: it rides in the signed flash cookie to the next GET of /account, which takes
it out. So that the cookie (readable, only signed) never holds it in plain, it is XORed with a pad derived from
the app's secret key, the token row's prefix and the session: the cookie alone does not give the token away,
and another session cannot show it.
"""

import base64
import hashlib
import hmac

from fastapi import Request

from compound.auth.service import Principal
from compound.kit.settings import get_settings

KEY = "new_token"


def _pad(principal: Principal, salt: bytes, length: int) -> bytes:
    session_id = str(principal.session.id if principal.session else "")
    key = hmac.new(get_settings().secret_key.encode(), b"new-token:" + session_id.encode() + salt, hashlib.sha256)
    return hashlib.shake_256(key.digest()).digest(length)


def keep(request: Request, principal: Principal, plain: str) -> None:
    data = plain.encode()
    salt = data[:12]  # the prefix the token list shows anyway
    hidden = bytes(a ^ b for a, b in zip(data, _pad(principal, salt, len(data)), strict=True))
    request.session[KEY] = [salt.decode(), base64.urlsafe_b64encode(hidden).decode()]


def take(request: Request, principal: Principal) -> str | None:
    """The token made just before this page, once; None afterwards (a reload shows it no more)."""
    kept = request.session.pop(KEY, None) if "session" in request.scope else None
    if not isinstance(kept, list) or len(kept) != 2:
        return None
    try:
        salt, hidden = kept[0].encode(), base64.urlsafe_b64decode(kept[1].encode())
        plain = bytes(a ^ b for a, b in zip(hidden, _pad(principal, salt, len(hidden)), strict=True)).decode()
    except (ValueError, UnicodeDecodeError, AttributeError):
        return None
    return plain if plain.encode()[:12] == salt else None
