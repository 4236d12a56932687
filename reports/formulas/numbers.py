"""Exact arithmetic and the one rounding rule of the loss formulas (all sections of loss-methods.md).

Sums, differences and products of the inputs are exact: they run in `EXACT`, a context with 120 digits that
traps `Inexact`, so a figure that could not be held exactly raises instead of being rounded in silence.

Quotients (ratios, load fractions, FAVAD powers) cannot all be exact; they are carried to 50 significant
digits (`RATIO`). That is enough for rounding at the end to give the same digits as rounding the true
quotient: a quotient a/b of figures with fewer than ~45 digits between them is either exactly a rounding
tie or at least 1e-45 away from one, far more than the 1e-50 error of the carried digits.

Outputs are rounded once, at the end, ROUND_HALF_UP, to these steps (the CLI and the pages print them):

- volumes (m³ of water, kWh of electricity): 0.001 (`VOLUME`), the resolution of the readings;
- percentages: 0.01 (`PERCENT`);
- money: 0.01 yuan, the fen (`MONEY`);
- litres per day (UARL, real losses per connection per day): 0.01 (`LITRES`);
- the ILI: 0.01 (`INDEX`); load factors and loss load factors 0.001 (the reference's LLF 0.490).
"""

import functools
from collections.abc import Callable
from dataclasses import dataclass
from decimal import (
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
    localcontext,
)
from typing import ParamSpec, TypeVar

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)

VOLUME = Decimal("0.001")
PERCENT = Decimal("0.01")
MONEY = Decimal("0.01")
LITRES = Decimal("0.01")
INDEX = Decimal("0.01")

EXACT = Context(prec=120, rounding=ROUND_HALF_EVEN, traps=[Inexact, InvalidOperation, DivisionByZero, Overflow])
RATIO = Context(prec=50, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, DivisionByZero, Overflow])
_ROUNDING = Context(prec=120, rounding=ROUND_HALF_UP, traps=[InvalidOperation, Overflow])

P = ParamSpec("P")
R = TypeVar("R")


def exact(fn: Callable[P, R]) -> Callable[P, R]:
    """Run `fn` in the exact context: its sums and products either are exact or raise `decimal.Inexact`."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with localcontext(EXACT):
            return fn(*args, **kwargs)

    return wrapper


def ratio(numerator: Decimal, denominator: Decimal) -> Decimal:
    """numerator / denominator carried to 50 significant digits (see the module docstring for why that is enough)."""
    with localcontext(RATIO):
        return Decimal(numerator) / Decimal(denominator)


def power(base: Decimal, exponent: Decimal) -> Decimal:
    """base ** exponent to 50 significant digits (FAVAD's (P1/P0)^N1 has a fractional exponent)."""
    with localcontext(RATIO):
        return Decimal(base) ** Decimal(exponent)


def product(*factors: Decimal) -> Decimal:
    """A product of carried quotients (each already 50 digits), itself carried to 50 significant digits."""
    with localcontext(RATIO):
        result = Decimal(1)
        for factor in factors:
            result *= Decimal(factor)
        return result


def round_to(value: Decimal, step: Decimal) -> Decimal:
    """The one rounding rule: ROUND_HALF_UP to `step` (0.001, 0.01, ...)."""
    with localcontext(_ROUNDING):
        return Decimal(value).quantize(step)


def round_volume(value: Decimal) -> Decimal:
    return round_to(value, VOLUME)


def round_pct(value: Decimal) -> Decimal:
    return round_to(value, PERCENT)


def round_money(value: Decimal) -> Decimal:
    """A money amount in yuan, rounded to the fen."""
    return round_to(value, MONEY)


def as_pct(fraction: Decimal) -> Decimal:
    """A fraction as a percentage, exact (×100 moves the point)."""
    with localcontext(EXACT):
        return fraction * HUNDRED


@dataclass(frozen=True)
class Reason:
    """Why a figure is not shown: a stable code to translate by, and the English message naming the figure."""

    code: str
    message: str
