"""The jobs the packages contribute, known once the shell has installed them (compound/shell/packages.py)."""

from compound.kit.contributes import Job
from compound.kit.errors import NotFound
from compound.kit.i18n import gettext as _

_JOBS: dict[str, Job] = {}


def add(job: Job) -> None:
    _JOBS[job.name] = job


def all_jobs() -> list[Job]:
    return sorted(_JOBS.values(), key=lambda j: j.name)


def get(name: str) -> Job:
    if name not in _JOBS:
        known = ", ".join(sorted(_JOBS)) or "-"
        raise NotFound(_("There is no job %(name)s (known: %(known)s).", name=name, known=known), field="name")
    return _JOBS[name]
