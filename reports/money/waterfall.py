"""The money waterfall of one utility and period: from what the utility charged to what was collected, to the fen.

    utility charges
      − leakage, unmetered public water, transformer and line losses, public lighting, other unbilled use,
        apparent losses                       (the balance's volumes × the period's average cost per unit)
      − tariff difference                     (what the billed units cost the compound − what it billed for them)
      − unexplained                           (the rest: see below)
      = billed
      − unpaid by office units, unpaid official use awaiting the finance bureau, unpaid by households
      = collected (of this period's bills; arrears collected from earlier periods are shown apart)

Definitions, all in yuan, each bar rounded once to the fen (ROUND_HALF_UP):

- average cost per unit `p` = the utility's charges / the utility's quantity (its bills), carried to 50 digits;
- a volume cause = round(volume × p);
- tariff difference = round(billed quantity × p) − billed amount = (p − the average billed price) × the billed
  quantity: positive when the compound pays more per unit than it bills, negative when it bills more;
- unexplained = charges − every cause above − billed: it holds the difference between the utility's quantity
  and the compound's own master reading, billed quantities that differ from the balance's billed volume
  (bills cut at other days than the period), electricity's unexplained rest (theft, unmetered rooms, meter
  error), and the fen each rounding left. Because it is the rest, the bars close exactly, for any input:

      Σ causes = charges − collected;   charges − Σ causes before billed = billed.

A cause that does not apply to the utility is 0 (leakage and unmetered public water for electricity, transformer
and line losses and public lighting for water). Every bar says whether it rests on an estimate.
"""

from dataclasses import dataclass
from decimal import Decimal

from reports.formulas import money
from reports.formulas.numbers import ZERO, product, ratio, round_money

VOLUME_CAUSES = (
    "leakage",
    "unmetered_public_water",
    "transformer_line_losses",
    "public_lighting",
    "other_unbilled_use",
    "apparent_losses",
)
BILLING_CAUSES = ("tariff_difference", "unexplained")
COLLECTION_CAUSES = ("unpaid_units", "unfunded_official_use", "unpaid_households")
CODES = VOLUME_CAUSES + BILLING_CAUSES + COLLECTION_CAUSES


@dataclass(frozen=True)
class Volumes:
    """The balance of the period in m³ or kWh: the input, the billed volume and each volume cause."""

    system_input: Decimal
    billed: Decimal
    causes: dict[str, Decimal]  # by the codes of VOLUME_CAUSES; a missing one is 0
    estimated: frozenset[str] = frozenset()  # the codes (and "system_input", "billed") resting on estimates


@dataclass(frozen=True)
class Charges:
    """What the utility charged for the period (yuan) and for how much (m³ or kWh)."""

    amount: Decimal
    quantity: Decimal
    estimated: bool = False  # e.g. valued at an earlier bill's cost where no bill covers the period


@dataclass(frozen=True)
class Revenue:
    """The period's bills (yuan) and what of them is still unpaid, by who owes it; the arrears collected."""

    billed_amount: Decimal = ZERO
    billed_quantity: Decimal = ZERO
    unpaid_units: Decimal = ZERO
    unfunded_official_use: Decimal = ZERO
    unpaid_households: Decimal = ZERO
    collected_arrears: Decimal = ZERO
    billed_estimated: bool = False  # bills on estimated readings

    @property
    def unpaid(self) -> Decimal:
        return self.unpaid_units + self.unfunded_official_use + self.unpaid_households

    @property
    def collected(self) -> Decimal:
        return self.billed_amount - self.unpaid


@dataclass(frozen=True)
class Bar:
    code: str
    amount: Decimal  # yuan, to the fen
    estimated: bool


@dataclass(frozen=True)
class Waterfall:
    utility: str
    utility_charges: Decimal
    billed: Decimal
    collected: Decimal
    collected_arrears: Decimal
    causes: tuple[Bar, ...]
    charges_estimated: bool = False
    unit_cost: Decimal | None = None  # yuan per unit; None when combined or without a utility quantity
    average_billed_price: Decimal | None = None
    # The value at cost of the input and of the billed volume: what BE weighs when utilities are combined.
    input_value: Decimal = ZERO
    billed_value: Decimal = ZERO
    billed_estimated: bool = False
    # One utility's volumes (BE is billed / input by volume); None when utilities are combined.
    input_volume: Decimal | None = None
    billed_volume: Decimal | None = None

    def cause(self, code: str) -> Bar:
        return next(b for b in self.causes if b.code == code)

    def amount(self, code: str) -> Decimal:
        return self.cause(code).amount

    @property
    def efficiencies(self) -> money.Efficiencies:
        """BE by volume (by value at cost when combined), CE with the arrears as the reference counts it, AT&C."""
        if self.input_volume is not None and self.billed_volume is not None:
            be = money.billing_efficiency(self.billed_volume, self.input_volume)
        else:
            be = money.billing_efficiency(self.billed_value, self.input_value)
        ce = money.collection_efficiency(self.collected + self.collected_arrears, self.billed)
        loss = None if be is None or ce is None else money.atc_loss(be, ce)
        return money.Efficiencies(billing_efficiency=be, collection_efficiency=ce, atc_loss=loss)

    @property
    def own_collection_efficiency(self) -> Decimal | None:
        """What of the period's own bills is paid (no arrears): the measure a good month cannot flatter."""
        return money.collection_efficiency(self.collected, self.billed)


def unit_cost(charges: Charges) -> Decimal | None:
    """The period's average cost per unit from the utility's bills; None without a quantity."""
    return None if charges.quantity == 0 else ratio(charges.amount, charges.quantity)


def waterfall(utility: str, volumes: Volumes, charges: Charges, revenue: Revenue) -> Waterfall:
    """The bars of one utility and period; they close to the fen whatever the figures."""
    p = unit_cost(charges)
    est = volumes.estimated

    def at_cost(quantity: Decimal) -> Decimal:
        return ZERO if p is None else round_money(product(quantity, p))

    bars = [
        Bar(code, at_cost(volumes.causes.get(code, ZERO)), charges.estimated or code in est) for code in VOLUME_CAUSES
    ]
    # Without a cost per unit there is nothing to set the billed price against: it all stays in the rest.
    tariff = ZERO if p is None else at_cost(revenue.billed_quantity) - revenue.billed_amount
    bars.append(Bar("tariff_difference", tariff, charges.estimated))
    explained = sum((b.amount for b in bars), ZERO)
    rest_estimated = charges.estimated or bool(est) or revenue.billed_estimated
    bars.append(Bar("unexplained", charges.amount - explained - revenue.billed_amount, rest_estimated))
    bars += [
        Bar("unpaid_units", revenue.unpaid_units, False),
        Bar("unfunded_official_use", revenue.unfunded_official_use, False),
        Bar("unpaid_households", revenue.unpaid_households, False),
    ]
    avg_price = None if not revenue.billed_quantity else ratio(revenue.billed_amount, revenue.billed_quantity)
    return Waterfall(
        utility=utility,
        utility_charges=charges.amount,
        billed=revenue.billed_amount,
        collected=revenue.collected,
        collected_arrears=revenue.collected_arrears,
        causes=tuple(bars),
        charges_estimated=charges.estimated,
        unit_cost=p,
        average_billed_price=avg_price,
        input_value=at_cost(volumes.system_input),
        billed_value=at_cost(volumes.billed),
        billed_estimated=revenue.billed_estimated,
        input_volume=volumes.system_input,
        billed_volume=volumes.billed,
    )


def combine(parts: list[Waterfall]) -> Waterfall:
    """Water and electricity together: every bar added up (so the whole still closes to the fen)."""
    causes = tuple(
        Bar(code, sum((p.amount(code) for p in parts), ZERO), any(p.cause(code).estimated for p in parts))
        for code in CODES
    )

    def total(name: str) -> Decimal:
        return sum((getattr(p, name) for p in parts), ZERO)

    return Waterfall(
        utility="combined",
        utility_charges=total("utility_charges"),
        billed=total("billed"),
        collected=total("collected"),
        collected_arrears=total("collected_arrears"),
        causes=causes,
        charges_estimated=any(p.charges_estimated for p in parts),
        input_value=total("input_value"),
        billed_value=total("billed_value"),
        billed_estimated=any(p.billed_estimated for p in parts),
    )


def closes(w: Waterfall) -> bool:
    """The two identities every waterfall keeps (the tests hold each one to them)."""
    before_billed = sum((b.amount for b in w.causes if b.code not in COLLECTION_CAUSES), ZERO)
    return (
        sum((b.amount for b in w.causes), ZERO) == w.utility_charges - w.collected
        and w.utility_charges - before_billed == w.billed
    )
