"""What the register (compounds, zones, buildings, accounts) adds to the shell."""

from compound.kit.contributes import Contribution, folder
from compound.register.models import Account, Building, Compound, Zone

CONTRIBUTES = Contribution(
    name="register",
    models=(Compound, Zone, Building, Account),
    audited={Compound: "compound", Zone: "zone", Building: "building", Account: "account"},
    routers=("compound.register.api", "compound.register.pages"),
    templates=folder(__file__, "templates"),
)
