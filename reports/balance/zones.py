"""Where the losses lie: each check meter against its children, and each zone's share (pure, no database).

A node's loss is its own use minus what hangs directly under it (meters and unmetered estimates), so the losses
of all the nodes add up to the master's input minus the leaves. A node whose whole flow belongs to its own zone
("single-zone": a check meter that meters a zone separately) places its loss in that zone: measured.

Any other node (the master meter, a transformer's low-voltage meter, a check meter shared by two zones — the
seed's open problem 1) cannot say whose its loss is. Its loss is shared, as an estimate, in proportion to the
flow of what hangs under it: a billing meter's or an unmetered use's part goes to its zone; a mixed check meter's
part is split the same way by what is under it; the part that flows on into a separately metered zone, or to
meters of no zone, cannot be placed (it is the trunk upstream of a metered zone) and is reported as unplaced.
Shares are whole thousandths, by the largest remainder, so they add up exactly to the loss they divide.
"""

from dataclasses import dataclass, field
from fractions import Fraction

from reports.balance.tree import Node

UNPLACED = -1  # the key of the volume no zone can be given


def _zone(own: int | None, node: Node) -> int | None:
    """A part without a zone of its own belongs to the zone of the meter it hangs under."""
    return own if own is not None else node.zone_id


def zones_below(node: Node) -> set[int | None]:
    found = {_zone(g.zone_id, node) for g in node.groups if g.use or g.meters}
    found |= {_zone(u.zone_id, node) for u in node.unmetered}
    for child in node.nodes:
        below = zones_below(child)
        found |= below or {_zone(None, child)}
    return found


def single_zone(node: Node) -> bool:
    return node.zone_id is not None and zones_below(node) <= {node.zone_id}


def _composition(node: Node) -> dict[int, Fraction]:
    """The node's flow by zone key: its direct parts, mixed children split by what is under them."""
    weights: dict[int, Fraction] = {}

    def add(key: int | None, amount: Fraction) -> None:
        k = UNPLACED if key is None else key
        weights[k] = weights.get(k, Fraction(0)) + amount

    for g in node.groups:
        add(_zone(g.zone_id, node), Fraction(g.use))
    for u in node.unmetered:
        add(_zone(u.zone_id, node), Fraction(u.use))
    for child in node.nodes:
        if single_zone(child):
            add(UNPLACED, Fraction(child.use))
            continue
        inner = _composition(child)
        total = sum(inner.values(), Fraction(0))
        if total == 0:
            add(UNPLACED, Fraction(child.use))
            continue
        for key, w in inner.items():
            add(key, child.use * w / total)
    return weights


def allocate(total: int, weights: dict[int, Fraction]) -> dict[int, int]:
    """`total` in whole parts proportional to the weights, adding up exactly (largest remainder)."""
    positive = {k: w for k, w in weights.items() if w > 0}
    whole = sum(positive.values(), Fraction(0))
    if whole == 0:
        return {UNPLACED: total}
    sign, amount = (1, total) if total >= 0 else (-1, -total)
    exact = {k: amount * w / whole for k, w in positive.items()}
    parts = {k: int(v) for k, v in exact.items()}
    short = amount - sum(parts.values())
    for k in sorted(exact, key=lambda k: (-(exact[k] - parts[k]), k))[:short]:
        parts[k] += 1
    return {k: sign * v for k, v in parts.items() if v}


@dataclass
class ZoneResult:
    zone_id: int
    name: str
    use: int = 0  # what its billing meters and unmetered uses took
    measured_loss: int = 0  # the losses of its separately metering check meters
    estimated_share: int = 0  # its estimated share of the losses of shared meters
    separately_metered: bool = True
    check_meters: list[str] = field(default_factory=list)
    shared_from: list[str] = field(default_factory=list)

    @property
    def loss(self) -> int:
        return self.measured_loss + self.estimated_share

    @property
    def input(self) -> int:
        return self.use + self.loss


@dataclass
class Placement:
    zones: dict[int, ZoneResult]
    unplaced: int = 0
    unplaced_from: dict[str, int] = field(default_factory=dict)  # serial → the part of its loss not placed


def _zone_use(node: Node, zones: dict[int, ZoneResult], inside: int | None) -> None:
    """Each zone's use, and whether all of it is under a check meter metering that zone alone."""
    if inside is None and node.zone_id in zones and single_zone(node):
        inside = node.zone_id
        zones[node.zone_id].check_meters.append(node.serial)
    for key, amount in [(_zone(g.zone_id, node), g.use) for g in node.groups] + [
        (_zone(u.zone_id, node), u.use) for u in node.unmetered
    ]:
        if key in zones:
            zones[key].use += amount
            if inside != key:
                zones[key].separately_metered = False
    for child in node.nodes:
        _zone_use(child, zones, inside)


def place(roots: list[Node], zone_names: dict[int, str]) -> Placement:
    """Every node's loss placed: measured in a separately metered zone, estimated shares, or unplaced."""
    result = Placement({zid: ZoneResult(zid, name) for zid, name in zone_names.items()})
    for root in roots:
        _zone_use(root, result.zones, None)
        for node in root.walk():
            if single_zone(node) and node.zone_id in result.zones:
                result.zones[node.zone_id].measured_loss += node.loss
                continue
            for key, amount in allocate(node.loss, _composition(node)).items():
                if key == UNPLACED or key not in result.zones:
                    result.unplaced += amount
                    result.unplaced_from[node.serial] = result.unplaced_from.get(node.serial, 0) + amount
                else:
                    result.zones[key].estimated_share += amount
                    result.zones[key].shared_from.append(node.serial)
    for z in result.zones.values():
        if not z.check_meters:
            z.separately_metered = False
    return result
