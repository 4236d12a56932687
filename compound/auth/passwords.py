"""Password hashing (Argon2id) and the password policy."""

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from compound.kit.errors import InvalidInput
from compound.kit.i18n import N_
from compound.kit.i18n import gettext as _

MIN_LENGTH = 10
MAX_LENGTH = 256
MIN_SCORE = 3  # zxcvbn's 0-4: 3 is "safely unguessable", a guess count of about 10^8 to 10^10
_SCORED_LENGTH = 100  # zxcvbn slows down on long input; a long password's first 100 characters decide
# Why zxcvbn found it guessable, by the kind of pattern its longest match is.
_WEAKNESS = {
    "dictionary": N_("This password is easy to guess: it is built on a common word, name or password."),
    "spatial": N_("This password is easy to guess: it follows a pattern of keys on the keyboard."),
    "repeat": N_("This password is easy to guess: it repeats a few characters."),
    "sequence": N_("This password is easy to guess: it is a sequence like abc or 6543."),
    "regex": N_("This password is easy to guess: it relies on a year."),
    "date": N_("This password is easy to guess: it relies on a date."),
}
_TOO_SIMPLE = N_("This password is easy to guess: it is too short for the characters it uses.")
_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


@lru_cache(maxsize=1)
def _common() -> frozenset[str]:
    # zxcvbn ships the 30,000 most common passwords from public breach lists.
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def check_policy(password: str, *, username: str = "") -> None:
    """Refuse short, over-long, blank, one-character, common, username-like and guessable passwords, saying why."""
    if len(password) < MIN_LENGTH:
        raise InvalidInput(_("The password must have at least %(n)s characters.", n=MIN_LENGTH), field="password")
    if len(password) > MAX_LENGTH:
        raise InvalidInput(_("The password may have at most %(n)s characters.", n=MAX_LENGTH), field="password")
    if not password.strip():
        raise InvalidInput(_("A password cannot be only spaces."), field="password")
    if len(set(password)) == 1:
        raise InvalidInput(_("A password cannot be one character repeated."), field="password")
    lowered = password.lower()
    if lowered in _common() or (username and username.lower() in lowered):
        raise InvalidInput(
            _("This password is too common or contains the user name; choose another."), field="password"
        )
    if weakness := _guessable(password, username=username):
        advice = _("Three or four unrelated words make a strong password.")
        raise InvalidInput(f"{_(weakness)} {advice}", field="password")


def _guessable(password: str, *, username: str) -> str | None:
    """The reason a strength estimate finds the password easy to guess, or None when it does not."""
    from zxcvbn import zxcvbn

    result = zxcvbn(password[:_SCORED_LENGTH], user_inputs=[username] if username else [])
    if result["score"] >= MIN_SCORE:
        return None
    matches = [m for m in result["sequence"] if m["pattern"] in _WEAKNESS]
    if not matches:
        return _TOO_SIMPLE
    longest = max(matches, key=lambda m: len(m["token"]))
    return _WEAKNESS[longest["pattern"]]


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
