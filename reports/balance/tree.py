"""The meter tree of one utility with every node's use over a window, gathered in a handful of queries.

The billing meters (most of a compound's meters) come back summed by where they hang (parent meter or
transformer), zone and class (billed, unbilled for own use, public lighting, no account); the utility and
check meters — the inner nodes, a few dozen — come back one by one. The tree is assembled in Python from those
few rows, so the cost of a period is the SQL over the readings, whatever the number of meters.
"""

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session

from compound.register.models import Building, Compound
from meters.models import Meter, MeterRole, MeterStatus, Transformer, UnmeteredCategory, UnmeteredUse, Utility
from meters.register.unmetered_estimate import estimate
from reports.balance.usage import M, Window, billed_quantities_query, meter_use
from reports.formulas.numbers import round_to
from reports.models import UnbilledAccount

BILLED, OWN_USE, LIGHTING, NO_ACCOUNT = "billed", "own_use", "public_lighting", "no_account"
LAMP_CATEGORIES = frozenset({UnmeteredCategory.courtyard_lamps.value, UnmeteredCategory.street_lights.value})
MILLI = 1000


@dataclass
class LeafGroup:
    """Billing meters hanging in one place, of one zone and class, summed."""

    parent_id: int | None
    transformer_id: int | None
    zone_id: int | None
    cls: str
    use: int  # thousandths
    estimated: int  # the part resting on estimated or extrapolated readings
    billed: int  # what their accounts were billed for (billed class only)
    meters: int
    active: int
    extrapolated: int  # meters carried to the end of the window at their last rate


@dataclass
class UnmeteredPart:
    """An unmetered use of the register with its estimate for the window (always estimated)."""

    id: int
    name: str
    category: str
    parent_id: int | None
    zone_id: int | None
    use: int  # thousandths, rounded half up from the rule's exact figure

    @property
    def is_lighting(self) -> bool:
        return self.category in LAMP_CATEGORIES


@dataclass
class Node:
    """A utility or check meter: its own use, and what hangs directly under it."""

    id: int
    serial: str
    role: str
    zone_id: int | None
    parent_id: int | None
    transformer_id: int | None
    hv_side: bool
    use: int = 0
    estimated: int = 0
    extrapolated: bool = False
    nodes: list["Node"] = field(default_factory=list)
    groups: list[LeafGroup] = field(default_factory=list)
    unmetered: list[UnmeteredPart] = field(default_factory=list)

    @property
    def children(self) -> int:
        return sum(n.use for n in self.nodes) + sum(g.use for g in self.groups) + sum(u.use for u in self.unmetered)

    @property
    def loss(self) -> int:
        return self.use - self.children

    @property
    def rests_on_estimates(self) -> bool:
        return bool(
            self.estimated
            or self.unmetered
            or any(n.estimated for n in self.nodes)
            or any(g.estimated for g in self.groups)
        )

    def walk(self) -> list["Node"]:
        out = [self]
        for n in self.nodes:
            out += n.walk()
        return out

    def all_groups(self) -> list[LeafGroup]:
        return [g for n in self.walk() for g in n.groups]

    def all_unmetered(self) -> list[UnmeteredPart]:
        return [u for n in self.walk() for u in n.unmetered]


@dataclass(frozen=True)
class TransformerInfo:
    id: int
    name: str
    rated_kva: object
    no_load_loss_w: object
    copper_loss_w: object
    parent_meter_id: int | None


@dataclass
class Tree:
    utility: Utility
    roots: list[Node]  # utility meters first, then any check meter hanging under nothing
    zones: dict[int, str]  # zone id → name
    transformers: list[TransformerInfo]
    outside: list[LeafGroup]  # billing meters under no utility or check meter
    loose_unmetered: list[UnmeteredPart]  # unmetered uses the tree cannot place

    @property
    def masters(self) -> list[Node]:
        return [n for n in self.roots if n.role == MeterRole.utility.value]

    def node(self, meter_id: int) -> Node | None:
        return next((n for r in self.roots for n in r.walk() if n.id == meter_id), None)


def _grouped_use(compound_id: int, utility: Utility, window: Window, dialect: str) -> sa.Select:
    use = meter_use(compound_id=compound_id, window=window, dialect=dialect, utility=utility.value)
    billed = billed_quantities_query(use, compound_id=compound_id, utility=utility.value).subquery("billed")
    b, t, ua = Building.__table__.c, Transformer.__table__.c, UnbilledAccount.__table__.c
    node = sa.case((M.role == MeterRole.billing.value, None), else_=M.id).label("node")
    zone = sa.func.coalesce(M.zone_id, b.zone_id).label("zone")
    cls = sa.case((ua.purpose.is_not(None), ua.purpose), (M.account_id.is_(None), NO_ACCOUNT), else_=BILLED)
    parent = sa.func.coalesce(M.parent_id, t.parent_meter_id).label("parent")
    keys = (node, M.role, parent, M.transformer_id, zone, cls.label("cls"))
    joined = (
        Meter.__table__.outerjoin(use, use.c.meter_id == M.id)
        .outerjoin(billed, billed.c.meter_id == M.id)
        .outerjoin(Building.__table__, sa.and_(b.compound_id == M.compound_id, b.id == M.building_id))
        .outerjoin(Transformer.__table__, sa.and_(t.compound_id == M.compound_id, t.id == M.transformer_id))
        .outerjoin(UnbilledAccount.__table__, sa.and_(ua.compound_id == M.compound_id, ua.account_id == M.account_id))
    )
    return (
        sa.select(
            *keys,
            sa.func.coalesce(sa.func.sum(use.c.use_milli), 0),
            sa.func.coalesce(sa.func.sum(use.c.estimated_milli), 0),
            sa.func.coalesce(sa.func.sum(billed.c.billed_milli), 0),
            sa.func.count(),
            sa.func.sum(sa.case((M.status == MeterStatus.active.value, 1), else_=0)),
            sa.func.coalesce(sa.func.sum(use.c.extrapolated), 0),
        )
        .select_from(joined)
        .where(M.compound_id == compound_id, M.utility == utility.value)
        .group_by(*keys)
    )


def _inner_nodes(session: Session, compound_id: int, utility: Utility) -> dict[int, Node]:
    rows = session.execute(
        sa.select(M.id, M.serial, M.role, M.zone_id, M.parent_id, M.transformer_id, M.hv_side).where(
            M.compound_id == compound_id, M.utility == utility.value, M.role != MeterRole.billing.value
        )
    ).all()
    return {r[0]: Node(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6])) for r in rows}


def _transformers(session: Session, compound_id: int) -> list[TransformerInfo]:
    t = Transformer.__table__.c
    rows = session.execute(
        sa.select(t.id, t.name, t.rated_kva, t.no_load_loss_w, t.copper_loss_w, t.parent_meter_id)
        .where(t.compound_id == compound_id)
        .order_by(t.name)
    ).all()
    return [TransformerInfo(*r) for r in rows]


def _unmetered(session: Session, compound: Compound, utility: Utility, start: date, end: date) -> list[UnmeteredPart]:
    uses = session.execute(
        sa.select(UnmeteredUse)
        .where(UnmeteredUse.compound_id == compound.id, UnmeteredUse.utility == utility.value)
        .order_by(UnmeteredUse.name)
    ).scalars()
    out = []
    for u in uses:
        milli = int(round_to(estimate(u, start, end) * MILLI, 1))
        out.append(UnmeteredPart(u.id, u.name, u.category, u.parent_meter_id, u.zone_id, milli))
    return out


def load_tree(
    session: Session, *, compound: Compound, utility: Utility, window: Window, start: date, end: date
) -> Tree:
    """The utility's tree over the window [start, end) of local days."""
    dialect = session.get_bind().dialect.name
    nodes = _inner_nodes(session, compound.id, utility)
    transformers = _transformers(session, compound.id)
    feeder = {t.id: t.parent_meter_id for t in transformers}
    outside: list[LeafGroup] = []
    for node_id, _role, parent, transformer_id, zone, cls, use, est, billed, count, active, extra in session.execute(
        _grouped_use(compound.id, utility, window, dialect)
    ).all():
        if node_id is not None:
            n = nodes[node_id]
            n.use, n.estimated, n.extrapolated = int(use), int(est), bool(extra)
            continue
        group = LeafGroup(parent, transformer_id, zone, cls, int(use), int(est), int(billed), count, active, int(extra))
        if parent in nodes:
            nodes[parent].groups.append(group)
        else:
            outside.append(group)
    roots = []
    for n in nodes.values():
        parent = n.parent_id if n.parent_id is not None else feeder.get(n.transformer_id)
        if parent in nodes:
            nodes[parent].nodes.append(n)
        else:
            roots.append(n)
    roots.sort(key=lambda n: (n.role != MeterRole.utility.value, n.serial))
    for n in nodes.values():
        n.nodes.sort(key=lambda c: c.serial)
    loose = _place_unmetered(_unmetered(session, compound, utility, start, end), nodes, roots)
    return Tree(utility, roots, _zone_names(session, compound.id), transformers, outside, loose)


def _place_unmetered(parts: list[UnmeteredPart], nodes: dict[int, Node], roots: list[Node]) -> list[UnmeteredPart]:
    """Each unmetered use under its parent meter; one without a parent under the only master, if there is one."""
    masters = [n for n in roots if n.role == MeterRole.utility.value]
    loose = []
    for u in parts:
        if u.parent_id in nodes:
            nodes[u.parent_id].unmetered.append(u)
        elif u.parent_id is None and len(masters) == 1:
            masters[0].unmetered.append(u)
        else:
            loose.append(u)
    return loose


def _zone_names(session: Session, compound_id: int) -> dict[int, str]:
    from compound.register.models import Zone

    z = Zone.__table__.c
    return dict(session.execute(sa.select(z.id, z.name).where(z.compound_id == compound_id).order_by(z.id)).all())
