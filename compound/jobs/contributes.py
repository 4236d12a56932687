"""What the jobs domain (leases and the record of every run) adds to the shell."""

from compound.jobs.models import JobLease, JobRun
from compound.kit.contributes import Contribution, folder

CONTRIBUTES = Contribution(
    name="jobs",
    models=(JobLease, JobRun),
    routers=("compound.jobs.routes",),
    templates=folder(__file__, "templates"),
)
