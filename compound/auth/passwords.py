"""Password hashing (Argon2id) and the password policy."""

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from compound.kit.errors import InvalidInput
from compound.kit.i18n import gettext as _

MIN_LENGTH = 10
MAX_LENGTH = 256
_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


@lru_cache(maxsize=1)
def _common() -> frozenset[str]:
    # zxcvbn ships the 30,000 most common passwords from public breach lists.
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def check_policy(password: str, *, username: str = "") -> None:
    """Refuse short, over-long, common and username-like passwords, naming the reason."""
    if len(password) < MIN_LENGTH:
        raise InvalidInput(_("The password must have at least %(n)s characters.", n=MIN_LENGTH), field="password")
    if len(password) > MAX_LENGTH:
        raise InvalidInput(_("The password may have at most %(n)s characters.", n=MAX_LENGTH), field="password")
    lowered = password.lower()
    if lowered in _common() or (username and username.lower() in lowered):
        raise InvalidInput(
            _("This password is too common or contains the user name; choose another."), field="password"
        )


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


# A hash to verify against when the user does not exist, so both paths take the same time.
DUMMY_HASH = _hasher.hash("not-a-real-password-0")
