"""The register of unmetered uses (lawns, public toilets, lamps): create, update, list, each with the
estimation rule and the figures it needs, hanging under a meter of its utility. The estimates themselves are
in meters/unmetered.py."""

from typing import Any

from sqlmodel import Session, select

from compound.kit import lookups
from compound.kit.errors import Conflict
from compound.kit.i18n import gettext as _
from compound.register.models import Compound, Zone
from compound.register.service import changes, fields_of, unique_fallback
from meters.errors import MeterError
from meters.labels import label
from meters.models import EstimateRule, Meter, UnmeteredUse, Utility
from meters.register.placement import check_parent_meter
from meters.register.schemas import UnmeteredCreate, UnmeteredUpdate
from meters.register.unmetered_estimate import ALL_RULE_FIELDS, RULE_FIELDS

# The utility an estimation rule measures in (fixed suits both).
RULE_UTILITY = {EstimateRule.lamps: Utility.electricity, EstimateRule.area: Utility.water}


def _use_name_taken(name: str) -> str:
    return _("There is already an unmetered use named %(name)s in this compound.", name=name)


def _check_unmetered(session: Session, *, compound: Compound, state: dict[str, Any]) -> None:
    """The rule's figures are all there (the others are cleared), and the use hangs under a meter of its utility."""
    rule, utility = EstimateRule(state["rule"]), Utility(state["utility"])
    if rule in RULE_UTILITY and RULE_UTILITY[rule] is not utility:
        raise MeterError(
            _(
                "The %(rule)s rule estimates %(right)s, not %(utility)s.",
                rule=label(rule),
                right=label(RULE_UTILITY[rule]),
                utility=label(utility),
            ),
            field="rule",
        )
    for name in RULE_FIELDS[rule]:
        if state.get(name) is None:
            raise MeterError(_("The %(rule)s rule needs %(field)s.", rule=label(rule), field=label(name)), field=name)
    for name in ALL_RULE_FIELDS:
        if name not in RULE_FIELDS[rule]:
            state[name] = None
    start, end = state.get("active_from_date"), state.get("active_to_date")
    if start and end and end < start:
        raise MeterError(
            _(
                "The last active day %(end)s is before the first active day %(start)s.",
                end=end.isoformat(),
                start=start.isoformat(),
            ),
            field="active_to_date",
        )
    if state.get("parent_meter_id") is not None:
        parent = lookups.get(session, Meter, compound_id=compound.id, id=state["parent_meter_id"])
        if parent is None:
            raise MeterError(
                _("There is no meter %(id)s in this compound to be the parent.", id=state["parent_meter_id"]),
                field="parent_meter_id",
            )
        check_parent_meter(parent, utility=utility, field="parent_meter_id")
    if (
        state.get("zone_id") is not None
        and lookups.get(session, Zone, compound_id=compound.id, id=state["zone_id"]) is None
    ):
        raise MeterError(_("There is no zone %(id)s in this compound.", id=state["zone_id"]), field="zone_id")


def _check_use_name(session: Session, *, compound: Compound, name: str, exclude_id: int | None) -> None:
    q = select(UnmeteredUse.id).where(UnmeteredUse.compound_id == compound.id, UnmeteredUse.name == name)
    if exclude_id is not None:
        q = q.where(UnmeteredUse.id != exclude_id)
    if session.exec(q.limit(1)).first() is not None:
        raise Conflict(_use_name_taken(name), field="name")


def create_unmetered(session: Session, *, compound: Compound, data: UnmeteredCreate) -> UnmeteredUse:
    """An unmetered use with its estimation rule; every figure the rule needs must be given."""
    state = data.model_dump()
    _check_unmetered(session, compound=compound, state=state)
    _check_use_name(session, compound=compound, name=data.name, exclude_id=None)
    use = UnmeteredUse(compound_id=compound.id, **state)
    with unique_fallback(session, {"name": _use_name_taken(data.name)}):
        session.add(use)
    return use


def update_unmetered(session: Session, *, compound: Compound, use: UnmeteredUse, data: UnmeteredUpdate) -> UnmeteredUse:
    sent = changes(data, required=("name", "category", "rule"))
    state = fields_of(use) | sent
    _check_unmetered(session, compound=compound, state=state)
    if "name" in sent:
        _check_use_name(session, compound=compound, name=sent["name"], exclude_id=use.id)
    with unique_fallback(session, {"name": _use_name_taken(str(state["name"]))}):
        for name in UnmeteredUpdate.model_fields:
            setattr(use, name, state[name])
    return use


def list_unmetered(session: Session, *, compound: Compound, utility: Utility | None = None) -> list[UnmeteredUse]:
    q = select(UnmeteredUse).where(UnmeteredUse.compound_id == compound.id)
    if utility is not None:
        q = q.where(UnmeteredUse.utility == utility)
    return list(session.exec(q.order_by(UnmeteredUse.name)))
