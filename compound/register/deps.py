"""The compound a URL names, loaded once for every router under /c/{compound_id} and /api/compounds/{compound_id}."""

from typing import Annotated

from fastapi import Depends

from compound.auth.deps import PrincipalDep
from compound.kit.errors import NotFound
from compound.kit.i18n import gettext as _
from compound.kit.params import IdPath
from compound.kit.unit_of_work import SessionDep
from compound.register import service
from compound.register.models import Account, Building, Compound, Zone
from compound.register.service import check_may_add_compound


def get_compound(session: SessionDep, principal: PrincipalDep, compound_id: IdPath) -> Compound:
    """The compound in the URL, or 404 — the same 404 for one that exists but is not the user's."""
    compound = session.get(Compound, compound_id) if compound_id in principal.compound_ids else None
    if compound is None:
        raise NotFound(_("No such compound."), field="compound_id")
    return compound


CompoundDep = Annotated[Compound, Depends(get_compound)]


def _may_add_compound(principal: PrincipalDep) -> None:
    # A dependency, so the refusal comes before the body is read, like a role's.
    check_may_add_compound(principal)


MayAddCompound = Depends(_may_add_compound)


def get_zone_or_404(session: SessionDep, compound: CompoundDep, zone_id: IdPath) -> Zone:
    return service.get_zone(session, compound=compound, zone_id=zone_id)


def get_building_or_404(session: SessionDep, compound: CompoundDep, building_id: IdPath) -> Building:
    return service.get_building(session, compound=compound, building_id=building_id)


def get_account_or_404(session: SessionDep, compound: CompoundDep, account_id: IdPath) -> Account:
    return service.get_account(session, compound=compound, account_id=account_id)


ZoneDep = Annotated[Zone, Depends(get_zone_or_404)]
BuildingDep = Annotated[Building, Depends(get_building_or_404)]
AccountDep = Annotated[Account, Depends(get_account_or_404)]
