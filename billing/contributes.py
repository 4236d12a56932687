"""What billing (tariffs, bill runs, payments, collections) adds to the shell."""

from compound.kit.contributes import Contribution, folder

CONTRIBUTES = Contribution(
    name="billing",
    templates=folder(__file__, "templates"),
    locale=folder(__file__, "locale"),
)
