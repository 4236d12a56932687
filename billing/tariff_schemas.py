"""The tariff body of the API and of `compound tariffs load FILE`: one price notice, typed once and reviewed."""

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from compound.kit.params import PlausibleDate

Quantity = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=3)]
Price = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=4)]
Money = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
Code = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_.-]+$")]
Name = Annotated[str, Field(min_length=1, max_length=100)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BlockIn(_Strict):
    up_to: Quantity | None = Field(
        None, description="Threshold of the block (per month or tariff year); none on the last"
    )
    price: Price = Field(description="Yuan per unit, tax and fees as the notice prints them")


class ComponentIn(_Strict):
    code: Code
    name: Name = Field(description="As the bill prints it: 水费, 水资源费, 污水处理费")
    blocks: list[BlockIn] = Field(min_length=1, max_length=10)

    @model_validator(mode="after")
    def _thresholds_rise(self) -> "ComponentIn":
        ups = [b.up_to for b in self.blocks]
        if ups[-1] is not None:
            raise ValueError("the last block has no up_to: it takes everything above the one before")
        if any(u is None for u in ups[:-1]):
            raise ValueError("every block but the last needs its up_to")
        if any(b <= a for a, b in zip(ups[:-2], ups[1:-1], strict=False)):  # type: ignore[operator]
            raise ValueError("each block's up_to must be above the one before")
        return self


class ChargeIn(_Strict):
    code: Code
    name: Name = Field(description="As the bill prints it: 水表租金")
    amount: Money = Field(description="Yuan per month")


class HouseholdRuleIn(_Strict):
    base_persons: int = Field(ge=1, le=50, description="Persons the thresholds are for")
    step_per_person: Quantity = Field(description="Added to every threshold for each person above base_persons")


class TariffIn(_Strict):
    utility: Literal["water", "electricity"]
    customer_class: Code = Field(alias="class", description="The customer class's code: household, office, ...")
    valid_from: PlausibleDate
    name: Annotated[str, Field(min_length=1, max_length=200)]
    basis: Literal["month", "tariff_year"] = "month"
    year_start: str = Field(
        "01-01",
        pattern=r"^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$",
        description="MM-DD on which the tariff year starts (basis tariff_year)",
    )
    minimum_quantity: Quantity | None = None
    household_rule: HouseholdRuleIn | None = None
    components: list[ComponentIn] = Field(min_length=1, max_length=10)
    fixed_charges: list[ChargeIn] = Field(default_factory=list, max_length=10)
    source: Annotated[str, Field(max_length=500)] = ""
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @field_validator("components")
    @classmethod
    def _codes_differ(cls, v: list[ComponentIn]) -> list[ComponentIn]:
        if len({c.code for c in v}) != len(v):
            raise ValueError("two components have the same code")
        return v

    @model_validator(mode="after")
    def _year_start_real(self) -> "TariffIn":
        month, day = (int(x) for x in self.year_start.split("-"))
        date(2001, month, day)  # raises on 02-30; 02-29 is refused too (not every year has it)
        return self


class TariffFile(_Strict):
    tariffs: list[TariffIn] = Field(min_length=1, max_length=200)


class BlockOut(BaseModel):
    number: int
    up_to: Decimal | None
    price: Decimal


class ComponentOut(BaseModel):
    code: str
    name: str
    blocks: list[BlockOut]


class ChargeOut(BaseModel):
    code: str
    name: str
    amount: Decimal


class TariffOut(BaseModel):
    id: int
    utility: str
    customer_class: str = Field(serialization_alias="class")
    valid_from: date
    name: str
    basis: str
    year_start: str
    minimum_quantity: Decimal | None
    household_rule: HouseholdRuleIn | None
    components: list[ComponentOut]
    fixed_charges: list[ChargeOut]
    source: str
