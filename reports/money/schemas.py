"""The money view in the JSON API: yuan as decimal strings, as on the command line."""

from pydantic import BaseModel


class CauseRead(BaseModel):
    code: str
    amount: str
    estimated: bool


class Warning(BaseModel):
    code: str
    message: str


class MoneyRead(BaseModel):
    """One utility's waterfall (or both together): charges → causes → billed → unpaid → collected."""

    utility_charges: str
    billed: str
    collected: str
    collected_arrears: str
    causes: list[CauseRead]
    charges_estimated: bool
    unit_cost: str | None
    average_billed_price: str | None
    billing_efficiency_pct: str | None
    collection_efficiency_pct: str | None
    collection_efficiency_with_arrears_pct: str | None
    atc_loss_pct: str | None
    warnings: list[Warning] = []


class CompoundMoneyRead(BaseModel):
    period: str
    water: MoneyRead
    electricity: MoneyRead
    combined: MoneyRead
