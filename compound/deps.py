"""Dependencies every router shares: the session and the compound a URL names."""

from typing import Annotated

from fastapi import Depends, Path
from sqlmodel import Session

from compound.auth.deps import PrincipalDep
from compound.db import get_session
from compound.errors import NotFound
from compound.i18n import gettext as _
from compound.register.models import Compound
from compound.register.service import check_may_add_compound

SessionDep = Annotated[Session, Depends(get_session)]


def get_compound(
    session: SessionDep, principal: PrincipalDep, compound_id: Annotated[int, Path(ge=1, le=2**62)]
) -> Compound:
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
