"""`compound users ...`: the first administrator and user upkeep from the command line."""

import getpass
import unicodedata

import sqlalchemy as sa
import typer

from compound.audit.service import Actor, set_actor
from compound.auth import service
from compound.auth.models import Role, User
from compound.kit.errors import AppError
from compound.kit.unit_of_work import session_scope
from compound.register.models import Compound

users_app = typer.Typer(help="Users: add, list, reset a password, disable.", no_args_is_help=True)


def _actor() -> Actor:
    return Actor(user_id=None, username=f"cli:{getpass.getuser()}")


def _compound_ids(session, codes: list[str]) -> list[int]:
    if not codes:
        return []
    rows = dict(session.execute(sa.select(Compound.code, Compound.id).where(Compound.code.in_(codes))).all())
    if missing := sorted(set(codes) - set(rows)):
        raise typer.BadParameter(f"no compound with code {', '.join(missing)}", param_hint="--compound")
    return list(rows.values())


def _user(session, name: str) -> User:
    user = service.find_user(session, name)
    if user is None:
        raise typer.BadParameter(f"no user named {name}", param_hint="NAME")
    return user


def terminal_safe(text: str) -> str:
    """Text as the terminal should get it: a control character (an escape sequence could clear the screen,
    retitle the window or hide lines) is spelled out as \\x1b or \\u202e instead of being sent."""
    return "".join(
        ch if unicodedata.category(ch) not in service.UNPRINTABLE else ch.encode("unicode_escape").decode()
        for ch in text
    )


def _fail(exc: AppError) -> None:
    typer.secho(terminal_safe(f"{exc.field + ': ' if exc.field else ''}{exc.message}"), fg="red", err=True)
    raise typer.Exit(1)


@users_app.command("add")
def add(
    name: str,
    role: Role = typer.Option(..., help="maintenance, finance, manager or admin"),
    compound: list[str] = typer.Option(
        [],
        help="Code of a compound the user may see (repeatable). An admin given none is an administrator of "
        "every compound, present and future.",
    ),
    display_name: str = typer.Option("", help="The person's name."),
) -> None:
    """Add a user; the password is asked at the prompt, never on the command line.

    The command line acts with every right: whoever may run it can read the database anyway."""
    password = typer.prompt("Password (at least 10 characters)", hide_input=True, confirmation_prompt=True)
    every = role == Role.admin and not compound
    with session_scope() as session:
        set_actor(session, _actor())
        try:
            ids = _compound_ids(session, compound)
            service.create_user(
                session,
                username=name,
                password=password,
                role=role,
                display_name=display_name,
                compound_ids=ids,
                all_compounds=every,
            )
        except AppError as exc:
            _fail(exc)
    reach = "every compound" if every else f"{len(ids)} compound(s)"
    typer.echo(f"User {name} ({role.value}) added, with {reach}.")


@users_app.command("list")
def list_users() -> None:
    """Every user, with role, status and the compounds they see."""
    with session_scope() as session:
        codes = dict(session.execute(sa.select(Compound.id, Compound.code)).all())
        for u in session.execute(sa.select(User).order_by(User.username)).scalars():
            state = "active" if u.is_active else "disabled"
            given = sorted(codes[c] for c in service.compound_ids_of(session, u.id))
            reach = "*" if service.is_unrestricted(u) else ",".join(given) or "-"
            name = terminal_safe(u.display_name)
            typer.echo(f"{terminal_safe(u.username):<24} {u.role:<12} {state:<9} {reach:<16} {name}")


@users_app.command("passwd")
def passwd(name: str) -> None:
    """Set a user's password (asked at the prompt); their sessions end and their API tokens are revoked."""
    password = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    with session_scope() as session:
        set_actor(session, _actor())
        user = _user(session, name)
        try:
            service.set_password(session, user=user, password=password)
        except AppError as exc:
            _fail(exc)
    typer.echo(f"Password of {name} set; their sessions ended and their API tokens were revoked.")


@users_app.command("disable")
def disable(name: str) -> None:
    """Disable a user: their sessions end at once and their API tokens are revoked (enabling does not revive them)."""
    with session_scope() as session:
        set_actor(session, _actor())
        service.set_active(session, user=_user(session, name), active=False)
    typer.echo(f"{name} disabled.")


@users_app.command("enable")
def enable(name: str) -> None:
    with session_scope() as session:
        set_actor(session, _actor())
        service.set_active(session, user=_user(session, name), active=True)
    typer.echo(f"{name} enabled.")
