"""What the audit trail adds to the shell."""

from compound.audit.models import AuditEntry
from compound.kit.contributes import Contribution, folder

CONTRIBUTES = Contribution(
    name="audit",
    models=(AuditEntry,),
    routers=("compound.audit.routes",),
    templates=folder(__file__, "templates"),
)
