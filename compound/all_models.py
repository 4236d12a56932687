"""Every table, imported in one place so Alembic and the tests see them all, and the list of tables the
audit trail follows (shell level: imports every package)."""

from compound.audit.models import AuditEntry  # noqa: F401
from compound.audit.service import register
from compound.auth.models import ApiToken, LoginAttempt, User, UserCompound, WebSession  # noqa: F401
from compound.register.models import Account, Building, Compound, Zone
from meters.models import Meter, Reading, Seal, Transformer, UnmeteredUse

AUDITED = {
    Compound: "compound",
    Zone: "zone",
    Building: "building",
    Account: "account",
    Meter: "meter",
    Transformer: "transformer",
    UnmeteredUse: "unmetered_use",
    Seal: "seal",
    Reading: "reading",
    User: "user",
    UserCompound: "user_compound",
    ApiToken: "api_token",
}
for _model, _name in AUDITED.items():
    register(_model, _name)
