"""Small helpers that make register and meter rows for tests: make_meter(session, compound=c, ...)."""

from datetime import datetime
from decimal import Decimal
from itertools import count

from sqlmodel import Session

from compound.register.models import Account, AccountKind, Building, Compound, Payer, Zone, ZoneKind
from meters.models import Meter, MeterRole, Utility

_seq = count(1)


def make_compound(session: Session, *, name: str = "Test compound", spike_factor: str = "3") -> Compound:
    c = Compound(code=f"T{next(_seq)}", name=name, spike_factor=Decimal(spike_factor))
    session.add(c)
    session.flush()
    return c


def make_zone(session: Session, *, compound: Compound, kind: ZoneKind = ZoneKind.living,
              name: str | None = None) -> Zone:
    z = Zone(compound_id=compound.id, name=name or f"Zone {next(_seq)}", kind=kind)
    session.add(z)
    session.flush()
    return z


def make_building(session: Session, *, compound: Compound, zone: Zone | None = None,
                  name: str | None = None) -> Building:
    zone = zone or make_zone(session, compound=compound)
    b = Building(compound_id=compound.id, zone_id=zone.id, name=name or f"Block {next(_seq)}")
    session.add(b)
    session.flush()
    return b


def make_account(session: Session, *, compound: Compound, kind: AccountKind = AccountKind.household,
                 name: str = "Wang Fang", building: Building | None = None, payer: Payer = Payer.self) -> Account:
    a = Account(compound_id=compound.id, code=f"A{next(_seq)}", kind=kind, name=name,
                building_id=building.id if building else None, payer=payer)
    session.add(a)
    session.flush()
    return a


def make_meter(session: Session, *, compound: Compound, utility: Utility = Utility.water,
               role: MeterRole = MeterRole.billing, parent: Meter | None = None, account: Account | None = None,
               building: Building | None = None, dials: int = 5, multiplier: int = 1, serial: str | None = None,
               walk_order: int = 0, location: str = "") -> Meter:
    m = Meter(compound_id=compound.id, utility=utility, serial=serial or f"M{next(_seq):06d}", role=role,
              parent_id=parent.id if parent else None, account_id=account.id if account else None,
              building_id=building.id if building else None, dials=dials, multiplier=multiplier,
              walk_order=walk_order, location=location, zone_id=building.zone_id if building else None)
    session.add(m)
    session.flush()
    return m


def add_reading(session: Session, *, compound: Compound, meter: Meter, value: str, at: datetime, **kw):
    """Record a reading through the service, so tests exercise the real checks."""
    from meters.readings.service import record_reading

    return record_reading(session, compound=compound, meter=meter, value=value, read_at=at, now=at, **kw)


def make_transformer(session: Session, *, compound: Compound, feeder: Meter, name: str | None = None,
                     rated_kva: str = "400", no_load_loss_w: str = "800", copper_loss_w: str = "4300"):
    """A transformer fed by an electricity utility meter, through the service's checks."""
    from meters.register.schemas import TransformerCreate
    from meters.register.transformers import create_transformer

    data = TransformerCreate(name=name or f"T{next(_seq)}", rated_kva=Decimal(rated_kva),
                             no_load_loss_w=Decimal(no_load_loss_w), copper_loss_w=Decimal(copper_loss_w),
                             parent_meter_id=feeder.id)
    return create_transformer(session, compound=compound, data=data)


def make_unmetered(session: Session, *, compound: Compound, utility: Utility = Utility.electricity,
                   rule: str = "lamps", category: str = "courtyard_lamps", parent: Meter | None = None, **figures):
    """An unmetered use through the service; figures are the rule's fields (lamp_count=20, lamp_watts=60, ...)."""
    from meters.register.schemas import UnmeteredCreate
    from meters.register.unmetered_uses import create_unmetered

    data = UnmeteredCreate(utility=utility, name=figures.pop("name", None) or f"Use {next(_seq)}",
                           category=category, rule=rule, parent_meter_id=parent.id if parent else None, **figures)
    return create_unmetered(session, compound=compound, data=data)
