"""The collection run as a scheduled job (compound scheduler runs it daily; compound jobs run collections.run)."""

from collections.abc import Callable
from datetime import date

from sqlmodel import Session

from billing.collections.run import run_collections
from compound.kit.contributes import Job
from compound.kit.i18n import N_
from compound.register.models import Compound

COLLECTION_RUN = Job(
    name="collections.run",
    path="billing.collections.jobs:collection_run",
    description=N_("The collection run: every payer's level afresh, the actions that are due."),
)


def collection_run(
    session: Session, *, compound_id: int, as_of: date, progress: Callable[[int, int], None] | None = None
) -> dict[str, int]:
    compound = session.get(Compound, compound_id)
    return run_collections(session, compound=compound, as_of=as_of, progress=progress).as_dict()
