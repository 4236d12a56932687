"""The request's unit of work: committed before the answer, never on a refusal, bookkeeping kept apart.

The probes are routes of the kind every package's router makes (its route class), added to the test app:
whatever a handler flushes is committed only when it answers below 400, whether it refuses by raising or
by returning an error page itself, and a commit that fails is never answered 2xx.
"""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy import event
from sqlmodel import Session, select

from compound.auth.deps import Public
from compound.auth.models import ApiToken, Role
from compound.kit import clock
from compound.kit.errors import Conflict
from compound.kit.unit_of_work import SessionDep, UnitOfWorkRoute, get_session
from compound.register.models import Compound
from compound.shell.app import create_app
from meters.models import Meter, MeterStatus, Reading
from meters.readings.pages import router as a_package_router
from tests.factories import add_reading, make_building, make_compound, make_meter
from tests.personas import bearer, make_user

PROBE = "PROBE-UOW"


def _flush_a_compound(session: Session) -> None:
    session.add(Compound(code=PROBE, name="Probe compound"))
    session.flush()


def _render_422(session: SessionDep) -> Response:
    _flush_a_compound(session)
    return HTMLResponse("<p>refused</p>", status_code=422)


def _json_409(session: SessionDep) -> Response:
    _flush_a_compound(session)
    return JSONResponse({"error": "Conflict"}, status_code=409)


def _raise_409(session: SessionDep) -> Response:
    _flush_a_compound(session)
    raise Conflict("taken")


def _redirect_303(session: SessionDep) -> Response:
    _flush_a_compound(session)
    return Response(status_code=303, headers={"location": "/"})


def _commit_fails(session: SessionDep) -> Response:
    _flush_a_compound(session)

    def refuse(_session: Session) -> None:
        raise RuntimeError("the commit failed")

    event.listen(session, "before_commit", refuse, once=True)
    return JSONResponse({"saved": True}, status_code=201)


@pytest.fixture
def probes(app, anon):
    """The test app with probe routes made by a package router's own route class."""
    route_class = a_package_router.route_class
    for name, endpoint in [
        ("render-422", _render_422),
        ("json-409", _json_409),
        ("raise-409", _raise_409),
        ("redirect-303", _redirect_303),
        ("commit-fails", _commit_fails),
    ]:
        app.router.add_api_route(
            f"/probe/{name}", endpoint, methods=["POST"], dependencies=[Public], route_class_override=route_class
        )
    return anon


def _probe_kept(session: Session) -> bool:
    return session.exec(select(Compound).where(Compound.code == PROBE)).first() is not None


@pytest.mark.parametrize(("name", "status"), [("render-422", 422), ("json-409", 409), ("raise-409", 409)])
def test_a_handler_that_refuses_keeps_nothing_it_flushed(probes, session, name, status):
    assert probes.post(f"/probe/{name}").status_code == status
    assert not _probe_kept(session)


def test_a_handler_that_succeeds_keeps_what_it_flushed(probes, session):
    # The control: the same flush answered 303 is committed, so the refusals above are not vacuous.
    assert probes.post("/probe/redirect-303", follow_redirects=False).status_code == 303
    assert _probe_kept(session)


def test_a_commit_that_fails_is_never_answered_2xx(probes, session):
    r = probes.post("/probe/commit-fails")
    assert r.status_code == 500
    assert not _probe_kept(session)


def _calls(dependant) -> set:
    found = set()
    for dep in dependant.dependencies:
        found.add(dep.call)
        found |= _calls(dep)
    return found


def test_every_route_with_a_session_is_a_unit_of_work():
    app = create_app()
    with_session = []
    for entry in app.router.routes:
        for route in entry.effective_route_contexts() if hasattr(entry, "effective_route_contexts") else [entry]:
            dependant = getattr(route, "dependant", None)
            if dependant is not None and get_session in _calls(dependant):
                with_session.append((getattr(route, "original_route", route), route.path))
    assert len(with_session) >= 60  # a broken walk would check nothing
    outside = [path for route, path in with_session if not isinstance(route, UnitOfWorkRoute)]
    assert not outside, f"routes whose session no unit of work ends: {outside}"


@pytest.mark.role("maintenance")
def test_a_replacement_refused_half_way_leaves_the_meter_as_it_was(client, session, frozen_now):
    # The final reading (165) is recorded and the old meter removed before the new meter's start reading
    # "abc" is refused: the page must show the meter as it is, and nothing of it may be kept.
    c = make_compound(session)
    a = make_meter(session, compound=c, building=make_building(session, compound=c), serial="A-1")
    add_reading(session, compound=c, meter=a, value="160", at=frozen_now - timedelta(days=30))
    r = client.post(
        f"/c/{c.id}/meters/{a.id}/replace",
        data={"final_value": "165", "new_serial": "A-2", "new_value": "abc", "at": "2026-11-01T10:00"},
    )
    # Refused: back (303, which commits) to the meter's page, scrolled to the form; the savepoint kept nothing.
    assert r.status_code == 200 and [h.status_code for h in r.history] == [303]
    assert "Removed" not in r.text and "2026-11-01)" not in r.text  # drawn from the meter as it is
    session.refresh(a)
    assert a.status == MeterStatus.active and a.removed_date is None
    assert [x.value_milli for x in session.scalars(sa.select(Reading).where(Reading.meter_id == a.id))] == [160_000]
    assert session.scalars(sa.select(Meter).where(Meter.compound_id == c.id, Meter.serial == "A-2")).first() is None


def _token_row(session: Session, user_id: int) -> ApiToken:
    session.expire_all()
    return session.exec(select(ApiToken).where(ApiToken.user_id == user_id)).one()


def test_a_token_notes_its_use_at_most_once_a_minute(anon, session, frozen_now):
    user = make_user(session, role=Role.manager, username="touch-token")
    headers = bearer(session, user)
    assert _token_row(session, user.id).last_used_at is None
    assert anon.get("/api/me", headers=headers).status_code == 200
    assert _token_row(session, user.id).last_used_at == frozen_now
    clock.set_clock(lambda: frozen_now + timedelta(seconds=50))  # within the minute: not written again
    assert anon.get("/api/me", headers=headers).status_code == 200
    assert _token_row(session, user.id).last_used_at == frozen_now
    clock.set_clock(lambda: frozen_now + timedelta(minutes=2))
    assert anon.get("/api/me", headers=headers).status_code == 200
    assert _token_row(session, user.id).last_used_at == frozen_now + timedelta(minutes=2)


def test_a_refused_request_still_notes_its_token_use(anon, session, frozen_now):
    # Bookkeeping is not the request's work: a 404 rolls back the request, not the note of the token's use.
    user = make_user(session, role=Role.manager, username="touch-refused")
    r = anon.get("/api/compounds/999999/meters", headers=bearer(session, user))
    assert r.status_code == 404
    assert _token_row(session, user.id).last_used_at == frozen_now
