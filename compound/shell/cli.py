"""The `compound` command (shell level: imports every package's commands)."""

import os

import typer

from compound.kit import i18n
from compound.kit.i18n import gettext as _
from compound.kit.settings import get_settings
from compound.shell import migrate, packages
from compound.shell.jobs_cli import jobs_app, scheduler

app = typer.Typer(help="Utilities back office of a government office compound.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(jobs_app, name="jobs")
app.command()(scheduler)


@app.callback()
def _locale() -> None:
    """Messages in COMPOUND_LOCALE, else the terminal's language (LC_ALL, LANG), else the default."""
    for var in ("COMPOUND_LOCALE", "LC_ALL", "LANG"):
        if loc := i18n.normalize(os.environ.get(var)):
            i18n.set_locale(loc)
            return
    i18n.set_locale(get_settings().default_locale)


@db_app.command("upgrade")
def db_upgrade(
    revision: str = typer.Argument("head"),
    grant_to: str | None = typer.Option(
        None,
        "--grant-to",
        metavar="APP_ROLE",
        help="PostgreSQL: then let APP_ROLE, the role the app logs in as, use the tables it does not own: read "
        "and write them all, but only read and add to the audit trail. Run as the tables' owner.",
    ),
) -> None:
    """Bring the schema up to date with the migrations."""
    migrate.upgrade(revision=revision)
    typer.echo(f"Database at {revision}: {_safe_url()}")
    if grant_to:
        try:
            migrate.grant_to(grant_to)
        except migrate.GrantRefused as exc:
            typer.secho(str(exc), fg="red", err=True)
            raise typer.Exit(1) from None
        typer.echo(_("%(role)s may now use every table, and only read and add to the audit trail.", role=grant_to))


def _safe_url() -> str:
    from sqlalchemy.engine import make_url

    return make_url(get_settings().database_url).render_as_string(hide_password=True)


def _prepare_database() -> None:
    """serve and demo bring an empty or outdated database up to the newest schema themselves."""
    migrate.upgrade()


@app.command()
def demo() -> None:
    """Build the demo compound (deterministic) into the database."""
    from compound.shell.demo import build_demo_cli

    _prepare_database()
    build_demo_cli()


@app.command()
def serve(
    demo: bool = typer.Option(False, "--demo", help="Seed the demo compound into an empty database first."),
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(1, help="Web worker processes."),
) -> None:
    """Run the web app."""
    import uvicorn

    _prepare_database()
    if demo:
        from compound.shell.demo import build_demo_cli

        build_demo_cli(only_if_empty=True)
    typer.echo(f"Serving on http://{host}:{port}/  (database: {_safe_url()})")
    # proxy_headers=False: uvicorn would believe X-Forwarded-For from 127.0.0.1, i.e. from any local process;
    # the app believes it from COMPOUND_TRUSTED_PROXIES only.
    uvicorn.run(
        "compound.shell.asgi:app", host=host, port=port, workers=workers, log_level="info", proxy_headers=False
    )


def _add_package_commands() -> None:
    for contribution in packages.contributions():
        for name, path in contribution.commands.items():
            app.add_typer(packages.load(path), name=name)


_add_package_commands()
