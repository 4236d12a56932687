"""Every route against the role table.

A route must declare `Require(Perm.x)` or `Public`; one that declares neither fails here. Then every
route is called as every role: a role without the permission gets 403, a role with it never does, and
nobody ever gets a 500.
"""

import re

import pytest
from fastapi.routing import APIRoute

from compound.auth.models import Role
from compound.auth.permissions import allowed
from compound.shell.app import create_app
from tests.factories import make_compound
from tests.personas import bearer, make_user

PUBLIC = "public"


def _declared(dependant) -> set:
    found = set()
    for dep in dependant.dependencies:
        if getattr(dep.call, "public", False):
            found.add(PUBLIC)
        if (perm := getattr(dep.call, "permission", None)) is not None:
            found.add(perm)
        found |= _declared(dep)
    return found


def _routes(routes):
    """Every API route, also those behind included routers (FastAPI wraps them as _IncludedRouter)."""
    for r in routes:
        if isinstance(r, APIRoute):
            yield r
        elif hasattr(r, "effective_route_contexts"):
            yield from (c for c in r.effective_route_contexts() if hasattr(c, "dependant"))


ROUTES = list(_routes(create_app().router.routes))


def _cases():
    for route in ROUTES:
        for method in sorted(route.methods - {"HEAD"}):
            yield pytest.param(route, method, id=f"{method} {route.path}")


def test_the_walk_finds_every_route():
    assert len(ROUTES) >= 60  # a broken walk would check nothing


def test_every_route_declares_a_permission_or_public():
    missing = [f"{sorted(r.methods)} {r.path}" for r in ROUTES if len(_declared(r.dependant)) != 1]
    assert not missing, "routes without exactly one Require(...)/Public: " + ", ".join(missing)


@pytest.mark.parametrize(("route", "method"), list(_cases()))
def test_route_obeys_the_role_table(anon, session, route, method):
    compound = make_compound(session)
    (declared,) = _declared(route.dependant)
    path = re.sub(r"\{compound_id\}", str(compound.id), route.path)
    path = re.sub(r"\{[a-z_]+(:path)?\}", "1", path)
    for role in Role:
        user = make_user(session, role=role, compounds=[compound])
        kwargs = {"json": {}} if method in ("POST", "PUT", "PATCH") and "/api/" in path else {}
        r = anon.request(method, path, headers=bearer(session, user), follow_redirects=False, **kwargs)
        assert r.status_code < 500, f"{role}: {r.status_code} {r.text[:300]}"
        if declared == PUBLIC:
            continue
        if allowed(role, declared):
            assert r.status_code != 403, f"{role} may {declared} but got 403: {r.text[:200]}"
        else:
            assert r.status_code == 403, f"{role} may not {declared} but got {r.status_code}"
