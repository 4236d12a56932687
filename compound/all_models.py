"""Every table, imported in one place so Alembic and the tests see them all (shell level: imports every package)."""

from compound.register.models import Account, Building, Compound, Zone  # noqa: F401
from meters.models import Meter, Reading, Seal, Transformer, UnmeteredUse  # noqa: F401
