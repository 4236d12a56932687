"""JSON API of the money view: one period's waterfall of water, electricity and the two together."""

from typing import Any

from fastapi import APIRouter

from compound.auth.deps import Require
from compound.auth.permissions import Perm
from compound.kit.unit_of_work import SessionDep, UnitOfWorkRoute
from compound.register.deps import CompoundDep
from meters.models import Utility
from reports.api import PeriodText
from reports.balance.service import default_period
from reports.money.output import money_json, waterfall_json
from reports.money.schemas import CompoundMoneyRead
from reports.money.service import compound_money
from reports.periods import parse_period

router = APIRouter(prefix="/api/compounds/{compound_id}", tags=["reports"], route_class=UnitOfWorkRoute)


@router.get("/money", dependencies=[Require(Perm.reports_view)], response_model=CompoundMoneyRead)
def get_money(session: SessionDep, compound: CompoundDep, period: PeriodText = "") -> dict[str, Any]:
    """From the utility's charges to what was collected, to the fen: water, electricity and both together."""
    span = parse_period(period) if period else default_period(session, compound=compound, utility=Utility.water)
    m = compound_money(session, compound=compound, period=span)
    return {
        "period": span.label,
        "water": money_json(m.water),
        "electricity": money_json(m.electricity),
        "combined": waterfall_json(m.combined),
    }
