"""What the auth domain adds to the shell."""

from compound.auth.labels import can, role_label
from compound.auth.models import ApiToken, LoginAttempt, User, UserCompound, WebSession
from compound.kit.contributes import Contribution, folder

CONTRIBUTES = Contribution(
    name="auth",
    models=(User, UserCompound, ApiToken, WebSession, LoginAttempt),
    audited={User: "user", UserCompound: "user_compound", ApiToken: "api_token"},
    routers=("compound.auth.api", "compound.auth.pages", "compound.auth.users_pages"),
    commands={"users": "compound.auth.cli:users_app"},
    templates=folder(__file__, "templates"),
    template_globals={"can": can, "role_label": role_label},
)
