"""What meters (the meter tree, seals, readings, import, round sheets) add to the shell."""

from compound.kit.contributes import Contribution, folder
from meters.models import Meter, Reading, Seal, Transformer, UnmeteredUse

CONTRIBUTES = Contribution(
    name="meters",
    models=(Meter, Transformer, UnmeteredUse, Seal, Reading),
    audited={
        Meter: "meter",
        Transformer: "transformer",
        UnmeteredUse: "unmetered_use",
        Seal: "seal",
        Reading: "reading",
    },
    routers=(
        "meters.api",
        "meters.readings_api",
        "meters.import_api",
        "meters.register_pages",
        "meters.pages",
        "meters.import_pages",
    ),
    commands={"readings": "meters.cli:readings_app"},
    templates=folder(__file__, "templates"),
    locale=folder(__file__, "locale"),
)
