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
        "meters.register.api",
        "meters.readings.api",
        "meters.readings.import_api",
        "meters.register.pages",
        "meters.readings.pages",
        "meters.readings.import_pages",
    ),
    commands={"readings": "meters.readings.cli:readings_app"},
    upload_paths=(r"/api/compounds/\d+/readings/import", r"/c/\d+/import"),
    templates=folder(__file__, "templates"),
    locale=folder(__file__, "locale"),
)
