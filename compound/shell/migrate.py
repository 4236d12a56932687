"""Alembic, configured in code so an installed package carries its migrations."""

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from compound.kit.settings import get_settings

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("file_template", "%%(year)d-%%(month).2d-%%(day).2d_%%(slug)s")
    # ConfigParser interpolation: a literal % in a password must be doubled.
    cfg.set_main_option("sqlalchemy.url", (url or get_settings().database_url).replace("%", "%%"))
    return cfg


def upgrade(url: str | None = None, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def is_empty(url: str | None = None) -> bool:
    """True when the database has none of our tables yet."""
    engine = sa.create_engine(url or get_settings().database_url)
    try:
        return not sa.inspect(engine).has_table("compound")
    finally:
        engine.dispose()
