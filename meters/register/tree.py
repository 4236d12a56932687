"""The meter tree as nested nodes: utility meters → transformers (electricity) → check meters (zone or
building sub-totals, which may nest) → billing meters, with unmetered uses hanging where their water or power
is drawn."""

from decimal import Decimal
from typing import Any

from sqlmodel import Session, select

from compound.register.models import Compound
from meters.models import Meter, MeterRole, MeterStatus, Transformer, UnmeteredUse, Utility

_ROLE_ORDER = {MeterRole.utility: 0, MeterRole.check: 1, MeterRole.billing: 2}
_KIND_ORDER = {"transformer": 0, "meter": 1, "unmetered": 2}


def _meter_node(m: Meter) -> dict[str, Any]:
    return {
        "kind": "meter",
        "id": m.id,
        "label": m.serial,
        "serial": m.serial,
        "role": MeterRole(m.role),
        "estimated": False,
        "status": MeterStatus(m.status),
        "location": m.location,
        "account_id": m.account_id,
        "multiplier": m.multiplier,
        "children": [],
        "_sort": (_ROLE_ORDER[MeterRole(m.role)], m.walk_order, m.serial),
    }


def _transformer_node(t: Transformer) -> dict[str, Any]:
    return {
        "kind": "transformer",
        "id": t.id,
        "label": t.name,
        "name": t.name,
        "role": None,
        "estimated": False,
        "rated_kva": Decimal(t.rated_kva),
        "children": [],
        "_sort": (0, 0, t.name),
    }


def _unmetered_node(u: UnmeteredUse) -> dict[str, Any]:
    return {
        "kind": "unmetered",
        "id": u.id,
        "label": u.name,
        "name": u.name,
        "role": None,
        "estimated": True,
        "category": u.category,
        "rule": u.rule,
        "children": [],
        "_sort": (0, 0, u.name),
    }


def meter_tree(
    session: Session, *, compound: Compound, utility: Utility, include_removed: bool = False
) -> list[dict[str, Any]]:
    """The utility's tree as nested nodes: utility meters → transformers → check meters → billing meters, with
    unmetered uses (estimated: true) where they hang. Anything whose parent is unknown is a root."""
    mq = select(Meter).where(Meter.compound_id == compound.id, Meter.utility == utility)
    if not include_removed:
        mq = mq.where(Meter.status == MeterStatus.active)
    rows = list(session.exec(mq))
    meters = {m.id: _meter_node(m) for m in rows}
    parents = {m.id: (m.parent_id, m.transformer_id) for m in rows}
    transformers: dict[int, dict[str, Any]] = {}
    feeders: dict[int, int | None] = {}
    if utility == Utility.electricity:
        for t in session.exec(select(Transformer).where(Transformer.compound_id == compound.id)):
            transformers[t.id], feeders[t.id] = _transformer_node(t), t.parent_meter_id
    uses = list(
        session.exec(
            select(UnmeteredUse).where(UnmeteredUse.compound_id == compound.id, UnmeteredUse.utility == utility)
        )
    )
    roots: list[dict[str, Any]] = []

    def attach(node: dict[str, Any], parent: dict[str, Any] | None) -> None:
        (parent["children"] if parent is not None else roots).append(node)

    for tid, node in transformers.items():
        attach(node, meters.get(feeders[tid]))
    for mid, node in meters.items():
        parent_id, transformer_id = parents[mid]
        attach(node, meters.get(parent_id) if parent_id is not None else transformers.get(transformer_id))
    for u in uses:
        attach(_unmetered_node(u), meters.get(u.parent_meter_id))
    return _sorted(roots)


def _sorted(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    nodes.sort(
        key=lambda n: (
            _KIND_ORDER[n["kind"]] if n["kind"] != "meter" or n["role"] != MeterRole.utility else -1,
            n["_sort"],
        )
    )
    for node in nodes:
        node.pop("_sort", None)
        _sorted(node["children"])
    return nodes
