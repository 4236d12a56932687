"""Exact meter arithmetic: dial values and consumptions as integer thousandths, never floats."""

import re
import unicodedata
from decimal import Decimal, InvalidOperation

MILLI = 1000
_THOUSANDTH = Decimal("0.001")
# No register has more integer digits than this (the meter table allows 12 dials); anything bigger is refused
# before it is turned into an int, so "1e999999999" cannot cost a second of CPU.
MAX_DIGITS = 15
# Plain digits with an optional sign and decimals; commas only as thousands separators ("12,345.6"), so a
# European "1,5" is refused instead of silently read as 15.
_NUMBER = re.compile(r"[+-]?(\d+|\d{1,3}(,\d{3})+)(\.\d*)?|[+-]?\.\d+|[+-]?\d+(\.\d*)?[eE][+-]?\d+")


class BadValue(Exception):
    """A reading's text is not a usable value; code is a validation code."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def _to_decimal(text: str | int | Decimal) -> Decimal:
    if isinstance(text, Decimal):
        return text
    if isinstance(text, int):
        return Decimal(text)
    # A phone's Chinese keyboard may type full-width digits and points: "１２３．５" is 123.5.
    s = unicodedata.normalize("NFKC", str(text)).strip()
    if not _NUMBER.fullmatch(s):
        raise BadValue("not_a_number")
    return Decimal(s.replace(",", ""))


def parse_value(text: str | int | Decimal) -> int:
    """'1234.5' → 1234500 thousandths. Raises BadValue: not_a_number, negative, too_many_decimals/digits."""
    if isinstance(text, bool) or not isinstance(text, str | int | Decimal):
        raise BadValue("not_a_number")
    try:
        value = _to_decimal(text)
    except InvalidOperation:
        raise BadValue("not_a_number") from None
    if not value.is_finite():
        raise BadValue("not_a_number")
    if value < 0:
        raise BadValue("negative")
    if value and value.adjusted() >= MAX_DIGITS:
        raise BadValue("too_many_digits")
    # Decimal multiplication rounds to 28 digits, so compare against the value quantized, which is exact.
    try:
        exact = value.quantize(_THOUSANDTH)
    except InvalidOperation:
        raise BadValue("too_many_decimals") from None
    if exact != value:
        raise BadValue("too_many_decimals")
    return int(exact.scaleb(3))


def to_decimal(milli: int | None) -> Decimal | None:
    """Thousandths → a Decimal with three places (1234500 → Decimal('1234.500'))."""
    return None if milli is None else Decimal(milli).scaleb(-3)


def fmt(milli: int | None) -> str:
    """For people: thousandths without trailing zeros (1234500 → '1234.5')."""
    if milli is None:
        return ""
    d = Decimal(milli).scaleb(-3)
    return f"{d:f}".rstrip("0").rstrip(".") if "." in f"{d:f}" else f"{d:f}"


def rollover_milli(dials: int) -> int:
    """The register wraps to zero here: 10**dials, in thousandths."""
    return 10**dials * MILLI


def consumption(prev_milli: int, value_milli: int, *, dials: int, multiplier: int, rollover: bool) -> int:
    """Use between two readings of one meter, × multiplier, in thousandths of a unit."""
    diff = value_milli - prev_milli
    if rollover:
        diff += rollover_milli(dials)
    return diff * multiplier
