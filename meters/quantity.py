"""Exact meter arithmetic: dial values and consumptions as integer thousandths, never floats."""

from decimal import Decimal, InvalidOperation

MILLI = 1000


class BadValue(Exception):
    """A reading's text is not a usable value; code is a validation code."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def parse_value(text: str | int | Decimal) -> int:
    """'1234.5' → 1234500 thousandths. Raises BadValue with not_a_number, negative or too_many_decimals."""
    if isinstance(text, bool):
        raise BadValue("not_a_number")
    try:
        value = Decimal(str(text).strip().replace(",", "")) if not isinstance(text, Decimal) else text
    except InvalidOperation:
        raise BadValue("not_a_number") from None
    if not value.is_finite():
        raise BadValue("not_a_number")
    if value < 0:
        raise BadValue("negative")
    milli = value * MILLI
    if milli != milli.to_integral_value():
        raise BadValue("too_many_decimals")
    return int(milli)


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
