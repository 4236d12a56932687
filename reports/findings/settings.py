"""Each compound's thresholds for raising findings: the stored row, or the defaults until someone saves one."""

from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from compound.register.models import Compound
from reports.findings.models import FindingSettings


def get_settings(session: Session, *, compound: Compound) -> FindingSettings:
    row = session.execute(
        sa.select(FindingSettings).where(FindingSettings.compound_id == compound.id)
    ).scalar_one_or_none()
    return row if row is not None else FindingSettings(compound_id=compound.id)


def update_settings(session: Session, *, compound: Compound, changes: dict[str, Any]) -> FindingSettings:
    """Change the given fields (already checked by the schema) and save; the first save creates the row."""
    row = get_settings(session, compound=compound)
    for name, value in changes.items():
        setattr(row, name, value)
    session.add(row)
    session.flush()
    return row


def min_volume(s: FindingSettings, utility: str) -> Decimal:
    """The smallest worth per month (m³ or kWh) a finding of this utility is raised for."""
    return Decimal(s.min_water_per_month if utility == "water" else s.min_power_per_month)
