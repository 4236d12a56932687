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
from compound.kit.i18n import gettext as _
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


class GrantRefused(Exception):
    pass


def grant_to(role: str, url: str | None = None) -> list[str]:
    """PostgreSQL: let `role` run the app on tables it does not own (run as their owner, after upgrading).

    The role may read and write every table but may only read and add to the audit trail, and, not owning
    it, can never switch off its triggers. Returns the statements run.
    """
    engine = sa.create_engine(url or get_settings().database_url)
    try:
        if engine.dialect.name != "postgresql":
            raise GrantRefused(_("--grant-to is for PostgreSQL: SQLite has no roles."))
        with engine.begin() as conn:
            if conn.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first() is None:
                raise GrantRefused(_("There is no role %(role)s on the server: create it first.", role=role))
            quote = engine.dialect.identifier_preparer.quote
            schema, who = quote(conn.execute(sa.text("SELECT current_schema()")).scalar_one()), quote(role)
            statements = [
                f"GRANT USAGE ON SCHEMA {schema} TO {who}",
                f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {who}",
                f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {who}",
                f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON audit_entry FROM {who}",
                f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON alembic_version FROM {who}",
            ]
            for statement in statements:
                conn.execute(sa.text(statement))
        return statements
    finally:
        engine.dispose()
