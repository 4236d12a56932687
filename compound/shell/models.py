"""Every table, imported in one place so Alembic and the tests see them all (from each package's contribution)."""

from compound.shell.packages import contributions

MODELS = tuple(model for c in contributions() for model in c.models)
