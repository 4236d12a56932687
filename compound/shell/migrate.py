"""Alembic, configured in code so an installed package carries its migrations."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import compound.shell.models  # noqa: F401  (every table)
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


def for_dialect(dialect: str) -> Callable[..., bool]:
    """Alembic's include_object: leave out what the models create on another database only (ddl_if)."""

    def include(obj: object, _name: str | None, _type: str, _reflected: bool, _compare_to: object) -> bool:
        only = getattr(obj, "_ddl_if", None)
        if only is None or only.dialect is None:
            return True
        return dialect in ((only.dialect,) if isinstance(only.dialect, str) else only.dialect)

    return include


def differences(url: str | None = None) -> list[Any]:
    """What the models have that the migrated database has not, or the other way round (empty: they agree)."""
    engine = sa.create_engine(url or get_settings().database_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "include_object": for_dialect(conn.dialect.name)}
            )
            return compare_metadata(context, SQLModel.metadata)
    finally:
        engine.dispose()
