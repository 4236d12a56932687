from datetime import timedelta

import pytest

from meters.errors import NeedsConfirmation, ReadingRefused
from tests.factories import add_reading, make_compound, make_meter


def test_readings_chain_and_refusals(session, frozen_now):
    c = make_compound(session)
    m = make_meter(session, compound=c)
    t0 = frozen_now - timedelta(days=90)
    first = add_reading(session, compound=c, meter=m, value="100", at=t0)
    assert first.consumption_milli is None
    for k in range(1, 3):
        add_reading(session, compound=c, meter=m, value=str(100 + 10 * k), at=t0 + timedelta(days=30 * k))
    with pytest.raises(ReadingRefused) as e:
        add_reading(session, compound=c, meter=m, value="110", at=frozen_now)
    assert e.value.problems[0].code == "lower_than_previous"
    with pytest.raises(NeedsConfirmation):
        add_reading(session, compound=c, meter=m, value="200", at=frozen_now)
    r = add_reading(session, compound=c, meter=m, value="200", at=frozen_now, confirm={"spike"})
    assert r.consumption_milli == 80_000 and r.confirmed == "spike"


def test_healthz(client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_the_favicon_is_served_to_anyone(anon):
    r = anon.get("/favicon.ico")
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml") and b"<svg" in r.content
