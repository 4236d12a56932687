"""What reports (the volume balance, the money view, findings, charts) add to the shell."""

from compound.kit.contributes import Contribution, folder

CONTRIBUTES = Contribution(
    name="reports",
    templates=folder(__file__, "templates"),
    locale=folder(__file__, "locale"),
)
