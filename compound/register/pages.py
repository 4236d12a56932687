"""Register pages: the compounds, a compound's home, and read-only lists of zones, buildings and accounts.

Changes to the register go through the API for now; these pages show it and lead to the round sheets.
"""

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.routing import Route

from compound.auth.deps import Require
from compound.auth.permissions import Perm
from compound.deps import CompoundDep, SessionDep
from compound.i18n import N_
from compound.register import service
from compound.register.models import AccountKind, Compound
from compound.web import render

router = APIRouter(include_in_schema=False)
VIEW = [Require(Perm.register_view)]

LABELS: dict[str, str] = {
    "office": N_("office"),
    "conference": N_("conference"),
    "living": N_("living"),
    "public": N_("public"),
    "household": N_("household"),
    "self": N_("self-paid"),
    "finance_bureau": N_("the finance bureau"),
}
ACCOUNT_KINDS = {"household": AccountKind.household, "office": AccountKind.office}


def _import_path(request: Request, compound: Compound) -> str | None:
    """The readings-import page, if the app has one (it lives in another package)."""
    for route in request.app.routes:
        if (
            isinstance(route, Route)
            and "GET" in (route.methods or ())
            and route.path.startswith("/c/{compound_id}/")
            and "import" in route.path
            and "{" not in route.path[len("/c/{compound_id}/") :]
        ):
            return route.path.replace("{compound_id}", str(compound.id))
    return None


def _context(compound: Compound, **more: object) -> dict[str, object]:
    return {"compound": compound, "labels": LABELS, **more}


@router.get("/", name="home", dependencies=VIEW)
def compounds(request: Request, session: SessionDep) -> Response:
    # The compounds this user may see (the permission check has put the user on the request).
    ids = request.state.principal.compound_ids
    return render(request, "register/index.html", {"compounds": service.list_compounds(session, ids=ids)})


@router.get("/c/{compound_id}/", name="compound_home", dependencies=VIEW)
def compound_home(request: Request, session: SessionDep, compound: CompoundDep) -> Response:
    zones = service.list_zones(session, compound=compound)
    buildings = service.list_buildings(session, compound=compound)
    by_zone: dict[int, list] = {}
    for b in buildings:
        by_zone.setdefault(b.zone_id, []).append(b)
    return render(
        request,
        "register/home.html",
        _context(compound, zones=zones, by_zone=by_zone, import_path=_import_path(request, compound)),
    )


@router.get("/c/{compound_id}/zones", name="zones", dependencies=VIEW)
def zones(request: Request, session: SessionDep, compound: CompoundDep) -> Response:
    return render(
        request, "register/zones.html", _context(compound, zones=service.list_zones(session, compound=compound))
    )


@router.get("/c/{compound_id}/buildings", name="buildings", dependencies=VIEW)
def buildings(request: Request, session: SessionDep, compound: CompoundDep) -> Response:
    zone_names = {z.id: z.name for z in service.list_zones(session, compound=compound)}
    return render(
        request,
        "register/buildings.html",
        _context(compound, buildings=service.list_buildings(session, compound=compound), zone_names=zone_names),
    )


@router.get("/c/{compound_id}/accounts", name="accounts", dependencies=VIEW)
def accounts(request: Request, session: SessionDep, compound: CompoundDep, kind: str = "") -> Response:
    chosen = ACCOUNT_KINDS.get(kind)
    rows = service.list_accounts(session, compound=compound, kind=chosen, limit=service.MAX_PAGE)
    flats = {b.id: b.name for b in service.list_buildings(session, compound=compound)}
    return render(
        request,
        "register/accounts.html",
        _context(compound, accounts=rows, kind=chosen.value if chosen else "", building_names=flats),
    )
