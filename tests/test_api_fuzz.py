"""The whole JSON API fuzzed from its OpenAPI document (schemathesis), by logged-in users of the right role.

Every operation gets a few known-good requests (SEEDS) and then up to MAX_EXAMPLES generated ones, valid and
invalid, derandomized so that CI repeats the same run, sent to the app in-process on the test database
session. Each request carries a fresh API token of a user whose role has the operation's permission, and
half of the time its ids point at real rows of a compound that user sees, so the requests reach the handlers
instead of bouncing off 401/403/404. No response may be a server error, and every 2xx response must match the
schema the document declares.

Server errors the fuzz once found are kept in FORMER_SERVER_ERRORS: test_former_server_error_is_refused sends
each one as found and expects the clear 422 the app now gives.

Run alone: `.venv/bin/pytest tests/test_api_fuzz.py -q -s` (the last test prints how many cases ran);
COMPOUND_FUZZ_EXAMPLES=500 fuzzes deeper.
"""

import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
import schemathesis
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import response_schema_conformance
from schemathesis.specs.openapi.formats import get_default_format_strategies, unregister_string_format
from sqlmodel import Session

from compound.auth.models import Role, User
from compound.auth.permissions import ROLE_PERMISSIONS, Perm
from compound.auth.service import create_token
from compound.shell.app import create_app
from meters.models import MeterRole, Utility
from meters.register.seals import add_seal
from tests.conftest import NOW, TEST_URL
from tests.factories import (
    add_reading,
    make_account,
    make_building,
    make_compound,
    make_meter,
    make_transformer,
    make_unmetered,
    make_zone,
)
from tests.personas import bearer, make_user

# Per operation; the whole run takes about half a minute on SQLite.
MAX_EXAMPLES = int(os.environ.get("COMPOUND_FUZZ_EXAMPLES", "25"))
MIN_TOTAL_CASES = 20 * MAX_EXAMPLES  # a fuzz that quietly generates nothing must fail
ON_POSTGRESQL = TEST_URL.startswith("postgresql")

IMPORT = "POST /api/compounds/{compound_id}/readings/import"
_APP = create_app()


def _document() -> dict:
    """The app's OpenAPI document, with one hint for the fuzz: uploaded readings files are named *.csv (the
    importer goes by the file name, and schemathesis would name the part just "file")."""
    doc = _APP.openapi()
    form = doc["paths"]["/api/compounds/{compound_id}/readings/import"]["post"]["requestBody"]["content"]
    disposition = {"schema": {"type": "string", "example": 'form-data; name="file"; filename="readings.csv"'}}
    form["multipart/form-data"]["encoding"] = {"file": {"headers": {"Content-Disposition": disposition}}}
    return doc


SCHEMA = schemathesis.openapi.from_dict(_document())
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
STATUSES: dict[str, Counter] = {}  # operation label -> response status codes, filled as the tests run


def _permission(dependant) -> Perm | None:
    """The permission a route declares with Require(...) (as tests/compound/test_permissions.py finds it)."""
    for dep in dependant.dependencies:
        if (perm := getattr(dep.call, "permission", None)) is not None:
            return perm
        if (perm := _permission(dep)) is not None:
            return perm
    return None


def _routes(routes):
    for r in routes:
        if isinstance(r, APIRoute):
            yield r
        elif hasattr(r, "effective_route_contexts"):  # routes behind included routers
            yield from (c for c in r.effective_route_contexts() if hasattr(c, "dependant"))


PERMISSIONS = {(m, r.path): _permission(r.dependant) for r in _routes(_APP.router.routes) for m in r.methods}


def role_for(operation) -> Role:
    """The first role of the table whose permissions include the operation's one."""
    perm = PERMISSIONS[(operation.method.upper(), operation.path)]
    assert perm is not None, f"{operation.label} declares no permission; the fuzz cannot pick a role for it"
    return next(role for role, perms in ROLE_PERMISSIONS.items() if perm in perms)


# --- Server errors the fuzz found (fixed) ------------------------------------------------------------


@dataclass(frozen=True)
class Known:
    label: str  # the operation the request below goes to
    request: str  # a request that got a 500, as found ({cid}, {meter_id}: the world's compound and meter)
    reason: str  # what was wrong
    json: dict | None = None


_NUL = "PostgreSQL text cannot hold NUL (0x00): psycopg DataError → 500; input strings need refusing it (422)"
FORMER_SERVER_ERRORS = [
    Known(
        "GET /api/compounds/{compound_id}/accounts",
        "GET /api/compounds/{cid}/accounts?offset=9223372036854775808",
        "`offset` has no upper bound (compound/register/api.py Offset): SQLite OverflowError / PostgreSQL "
        "'bigint out of range' → 500",
    ),
    Known(
        "GET /api/compounds/{compound_id}/meters",
        "GET /api/compounds/{cid}/meters?offset=9223372036854775808",
        "`offset` has no upper bound (meters/api.py list_meters): SQLite OverflowError / PostgreSQL "
        "'bigint out of range' → 500",
    ),
    Known(
        "POST /api/tokens/{token_id}/revoke",
        "POST /api/tokens/9223372036854775808/revoke",
        "`token_id` has no bounds (compound/auth/api.py revoke_token): SQLite OverflowError / PostgreSQL "
        "'bigint out of range' → 500",
    ),
    Known(
        "GET /api/audit",
        "GET /api/audit?since=0001-01-01",
        "since=0001-01-01 at 00:00 local is before year 1 in UTC: OverflowError in compound/db.py:40 "
        "value.astimezone(UTC), reached from compound/audit/service.py:197 → 500",
    ),
    Known(
        "GET /api/audit",
        "GET /api/audit?until=9999-12-31",
        "until=9999-12-31: `f.until + timedelta(days=1)` overflows (compound/audit/service.py:199) → 500",
    ),
    Known(
        "POST /api/compounds/{compound_id}/meters/{meter_id}/replacement",
        "POST /api/compounds/{cid}/meters/{meter_id}/replacement",
        "`at` has no year bounds (readings' read_at has 1970–2199): at=0001-01-01T00:00:00+14:00 or "
        "9999-12-31T23:59:59-12:00 overflows in meters/validation.py:122 show_time() astimezone → 500",
        json={"final_value": "130", "new_serial": "X1", "new_value": "0", "at": "0001-01-01T00:00:00+14:00"},
    ),
    Known(
        "POST /api/compounds/{compound_id}/zones",
        "POST /api/compounds/{cid}/zones",
        f"a NUL in a JSON string: {_NUL}",
        json={"kind": "living", "name": "Zone\x00A"},
    ),
    Known(
        "GET /api/audit",
        "GET /api/audit?action=%00",
        f"a NUL in a query parameter: {_NUL}",
    ),
]


# --- The world the requests aim at ---------------------------------------------------------------------------


@dataclass
class World:
    """Real rows of one compound, by the names ids go by in paths, queries and bodies, and by what they are."""

    compound_id: int
    caller: User
    ids: dict[str, list[int]] = field(default_factory=dict)
    serials: list[str] = field(default_factory=list)
    row: dict[str, Any] = field(default_factory=dict)


def make_world(session: Session, *, role: Role) -> World:
    """A compound with a zone, building, account, a water meter pair with readings and a seal, an electricity
    feeder with a transformer and an unmetered use, and a caller of `role` who sees the compound."""
    c = make_compound(session, name="Fuzz compound")
    zone = make_zone(session, compound=c)
    building = make_building(session, compound=c, zone=zone)
    account = make_account(session, compound=c, building=building)
    master = make_meter(session, compound=c, role=MeterRole.utility)
    flat = make_meter(session, compound=c, parent=master, account=account, building=building)
    feeder = make_meter(session, compound=c, utility=Utility.electricity, role=MeterRole.utility)
    start = NOW - timedelta(days=90)
    readings = [
        add_reading(session, compound=c, meter=flat, value=v, at=start + timedelta(days=30 * i))
        for i, v in enumerate(("100", "112", "125"))
    ]
    seal = add_seal(session, compound=c, meter=flat, number="S-1", sealed_date=date(2026, 1, 5), sealed_by="Li")
    transformer = make_transformer(session, compound=c, feeder=feeder)
    lamps = make_unmetered(session, compound=c, parent=feeder, lamp_count=20, lamp_watts=60, hours_per_day=11)
    # Usernames of their own: personas' default name can repeat within one test. An admin caller is one of every
    # compound, who may call every admin operation (one of some compounds is refused adding a compound or making
    # another admin of every compound: tests/compound/test_users.py).
    caller = make_user(
        session, role=role, compounds=[c], username=f"fuzz-caller-{c.id}", all_compounds=role == Role.admin
    )
    other = make_user(session, role=Role.maintenance, compounds=[c], username=f"fuzz-other-{c.id}")
    # The real token_id is a spare one, so that revoking it does not log the caller out.
    _plain, spare = create_token(session, user=caller, name="spare")
    meters = [flat.id, master.id, feeder.id]  # the first is the one the seal and readings belong to
    reading_ids = [r.id for r in reversed(readings)]  # the latest first: only it can be corrected
    ids = {
        "zone_id": [zone.id],
        "building_id": [building.id],
        "account_id": [account.id],
        "meter_id": meters,
        "parent_id": meters,
        "parent_meter_id": meters,
        "replaces_id": meters,
        "seal_id": [seal.id],
        "transformer_id": [transformer.id],
        "unmetered_id": [lamps.id],
        "reading_id": reading_ids,
        "corrects_id": reading_ids,
        "superseded_by_id": reading_ids,
        "object_id": meters,
        "user_id": [other.id],
        "token_id": [spare.id],
    }
    row = {
        "flat": flat,
        "master": master,
        "feeder": feeder,
        "account": account,
        "latest": readings[-1],
        "seal": seal,
        "lamps": lamps,
        "other": other,
    }
    return World(compound_id=c.id, caller=caller, ids=ids, serials=[flat.serial, master.serial], row=row)


def aim_at_world(case, world: World, data: st.DataObject) -> None:
    """Point the case at the world: always its compound; half of the time, real ids everywhere else too.

    Path ids come from one consistent chain (meter, its seal, its readings) so nested paths resolve."""
    if case.path_parameters and "compound_id" in case.path_parameters:
        case.path_parameters["compound_id"] = world.compound_id
    if not data.draw(st.booleans(), label="real ids"):
        return
    for name in list(case.path_parameters or ()):
        if name in world.ids and name != "compound_id":
            case.path_parameters[name] = (
                world.ids[name][0] if name == "meter_id" else data.draw(st.sampled_from(world.ids[name]), label=name)
            )
    for name in list(case.query or ()):
        if name in world.ids:
            case.query[name] = data.draw(st.sampled_from(world.ids[name]), label=name)
        elif name == "compound_id":
            case.query[name] = world.compound_id
    if case.operation.label == IMPORT and isinstance(case.body, dict):
        case.body["file"] = data.draw(readings_csv(world), label="file")
    elif isinstance(case.body, dict):
        for name in list(case.body):
            if name in world.ids:
                case.body[name] = data.draw(st.sampled_from(world.ids[name]), label=name)
            elif name == "compound_ids":
                case.body[name] = [world.compound_id]


def readings_csv(world: World) -> st.SearchStrategy[bytes]:
    """A readings file with the template's header and rows about real meters, its cells fuzzed."""
    cell = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters=',"\r\n'), max_size=30)
    row = st.tuples(
        st.sampled_from(world.serials) | cell,
        st.datetimes().map(str) | cell,
        st.decimals(allow_nan=False, places=3).map(str) | cell,
        cell,
    )
    return st.lists(row, max_size=5).map(
        lambda rows: "\n".join(["meter_serial,read_at,value,note", *map(",".join, rows)]).encode()
    )


# Known-good requests: they reach the deep end of operations whose generated bodies rarely pass the app's own
# checks, so these 2xx responses get their schema checked too. label -> (path ids, query, body) from the world.
AT = "2026-10-30T08:00:00+08:00"
# November's first morning: the flat was read in October, so only a November estimate may be made.
ESTIMATE_AT = "2026-11-01T08:00:00+08:00"
SEEDS: dict[str, Callable[[World], list[dict[str, Any]]]] = {
    "POST /api/users": lambda w: [
        {
            "body": {
                "username": "fuzz.seed",
                "password": "brass-lantern-river-43",
                "role": "maintenance",
                "compound_ids": [w.compound_id],
            }
        }
    ],
    "POST /api/users/{user_id}/password": lambda w: [
        {"path": {"user_id": w.row["other"].id}, "body": {"password": "copper-kettle-meadow-7"}}
    ],
    "POST /api/compounds/{compound_id}/meters": lambda w: [
        {
            "body": {
                "utility": "water",
                "serial": "SEED-1",
                "role": "billing",
                "parent_id": w.row["master"].id,
                "account_id": w.row["account"].id,
            }
        }
    ],
    "POST /api/compounds/{compound_id}/meters/{meter_id}/replacement": lambda w: [
        {
            "path": {"meter_id": w.row["flat"].id},
            "body": {"final_value": "130", "new_serial": "SEED-2", "new_value": "0", "at": AT},
        }
    ],
    "POST /api/compounds/{compound_id}/meters/{meter_id}/seals": lambda w: [
        {
            "path": {"meter_id": w.row["master"].id},
            "body": {"number": "S-2", "sealed_date": "2026-10-01", "sealed_by": "Li"},
        }
    ],
    "POST /api/compounds/{compound_id}/meters/{meter_id}/seals/{seal_id}/break": lambda w: [
        {
            "path": {"meter_id": w.row["flat"].id, "seal_id": w.row["seal"].id},
            "body": {"broken_date": "2026-10-01", "broken_by": "Li"},
        }
    ],
    "POST /api/compounds/{compound_id}/transformers": lambda w: [
        {
            "body": {
                "name": "T-seed",
                "rated_kva": "630",
                "no_load_loss_w": "1000",
                "copper_loss_w": "5000",
                "parent_meter_id": w.row["feeder"].id,
            }
        }
    ],
    "POST /api/compounds/{compound_id}/unmetered": lambda w: [
        {
            "body": {
                "utility": "electricity",
                "name": "Seed lamps",
                "category": "courtyard_lamps",
                "rule": "lamps",
                "parent_meter_id": w.row["feeder"].id,
                "lamp_count": 10,
                "lamp_watts": "40",
                "hours_per_day": "10",
            }
        }
    ],
    "GET /api/compounds/{compound_id}/unmetered/{unmetered_id}/estimate": lambda w: [
        {"path": {"unmetered_id": w.row["lamps"].id}, "query": {"start": "2026-09-01", "end": "2026-10-01"}}
    ],
    "POST /api/compounds/{compound_id}/meters/{meter_id}/readings": lambda w: [
        {"path": {"meter_id": w.row["flat"].id}, "body": {"value": "140", "read_at": AT, "read_by": "Li"}}
    ],
    "POST /api/compounds/{compound_id}/meters/{meter_id}/readings/{reading_id}/correction": lambda w: [
        {
            "path": {"meter_id": w.row["flat"].id, "reading_id": w.row["latest"].id},
            "body": {"value": "126", "note": "misread"},
        }
    ],
    "POST /api/compounds/{compound_id}/meters/{meter_id}/estimate": lambda w: [
        {"path": {"meter_id": w.row["flat"].id}, "body": {"at": ESTIMATE_AT}}
    ],
    "POST /api/compounds/{compound_id}/readings/import": lambda w: [
        {
            "body": {"file": f"meter_serial,read_at,value,note\n{w.row['flat'].serial},{AT},141,\n".encode()},
            "media_type": "multipart/form-data",
        }
    ],
}


def seed_cases(operation, world: World) -> list:
    cases = []
    for seed in SEEDS.get(operation.label, lambda w: [])(world):
        kwargs = {"media_type": seed["media_type"]} if "media_type" in seed else {}
        if "body" in seed:
            kwargs["body"] = seed["body"]
        cases.append(
            operation.Case(
                path_parameters={"compound_id": world.compound_id, **seed.get("path", {})},
                query=seed.get("query"),
                **kwargs,
            )
        )
    return cases


# Dates at the ends of the calendar and the offsets, which random generation hardly ever reaches.
EDGE_DATES = ["0001-01-01", "1969-12-31", "1970-01-01", "2199-12-31", "2200-01-01", "9999-12-31"]
EDGE_DATETIMES = [
    "0001-01-01T00:00:00+14:00",
    "0001-01-01T00:00:00Z",
    "1969-12-31T23:59:59Z",
    "2200-01-01T00:00:00+08:00",
    "9999-12-31T23:59:59Z",
    "9999-12-31T23:59:59-12:00",
]


@pytest.fixture(scope="module", autouse=True)
def dates_with_their_extremes():
    """Date and date-time fields get the calendar's edges among their generated values (this module only)."""
    defaults = get_default_format_strategies()
    schemathesis.openapi.format("date", defaults["date"] | st.sampled_from(EDGE_DATES))
    schemathesis.openapi.format("date-time", defaults["date-time"] | st.sampled_from(EDGE_DATETIMES))
    yield
    unregister_string_format("date")
    unregister_string_format("date-time")


# --- The fuzz ------------------------------------------------------------------------------------------------


def strategy_for(operation):
    """Valid requests, and invalid ones where the operation takes any input (else there is nothing to break)."""
    positive = operation.as_strategy(GenerationMode.POSITIVE)
    takes_input = any(True for _ in operation.iter_parameters()) or bool(operation.body)
    return st.one_of(positive, operation.as_strategy(GenerationMode.NEGATIVE)) if takes_input else positive


def send_and_check(app, session: Session, world: World, case, statuses: Counter) -> int:
    """Send the case as the world's caller; no server error, and a 2xx answer matches its declared schema."""
    # A fresh token for every case: a case that revokes its caller's own token must not blind the rest.
    headers = bearer(session, world.caller)
    try:
        response = case.call(app=app, headers=headers)
    except Exception as exc:  # the app raised instead of answering: a server error
        raise AssertionError(f"server error ({type(exc).__name__}) on\n{case.as_curl_command()}") from exc
    statuses[response.status_code] += 1
    assert response.status_code not in (401, 403), f"the caller was refused:\n{case.as_curl_command()}"
    checks = [not_a_server_error]
    if 200 <= response.status_code < 300:
        checks.append(response_schema_conformance)
    case.validate_response(response, checks=checks, headers=headers)
    return response.status_code


@pytest.mark.parametrize("operation", OPERATIONS, ids=[op.label for op in OPERATIONS])
def test_operation_survives_the_fuzz(app, session, operation):
    world = make_world(session, role=role_for(operation))
    statuses: Counter = Counter()
    for case in seed_cases(operation, world):
        status = send_and_check(app, session, world, case, statuses)
        assert 200 <= status < 300, f"a seed no longer succeeds ({status}), update SEEDS:\n{case.as_curl_command()}"

    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.filter_too_much,
            HealthCheck.data_too_large,
        ],
    )
    @given(case=strategy_for(operation), data=st.data())
    def fuzz(case, data) -> None:
        aim_at_world(case, world, data)
        send_and_check(app, session, world, case, statuses)

    fuzz()
    STATUSES[operation.label] = statuses
    assert statuses.total() >= 1, f"{operation.label}: no case was sent"


@pytest.mark.parametrize("known", [pytest.param(k, id=k.request) for k in FORMER_SERVER_ERRORS])
def test_former_server_error_is_refused(app, session, known):
    """Each server error the fuzz found, sent as found: now a 422 that names what is wrong, on both databases."""
    world = make_world(session, role=role_for(next(op for op in OPERATIONS if op.label == known.label)))
    method, path = known.request.split(" ", 1)
    path = path.replace("{cid}", str(world.compound_id)).replace("{meter_id}", str(world.row["flat"].id))
    with TestClient(app, raise_server_exceptions=False, headers=bearer(session, world.caller)) as client:
        r = client.request(method, path, json=known.json)
    assert r.status_code == 422, f"{known.request} → {r.status_code}: {r.text[:200]}"
    assert r.json()["detail"]


def test_a_refused_request_matches_its_documented_422(app, session):
    world = make_world(session, role=Role.admin)
    zones = next(op for op in OPERATIONS if op.label == "POST /api/compounds/{compound_id}/zones")
    case = zones.Case(path_parameters={"compound_id": world.compound_id}, body={"name": "Zone A"})
    headers = bearer(session, world.caller)
    response = case.call(app=app, headers=headers)
    assert response.status_code == 422
    case.validate_response(response, checks=[response_schema_conformance], headers=headers)


def test_the_checks_catch_a_wrong_answer():
    """The fuzz would pass vacuously if its checks never failed: a 500 and a misshapen 2xx must both fail them."""
    me = next(op for op in OPERATIONS if op.label == "GET /api/me")

    def answering(status: int, body: bytes):
        async def app(scope, receive, send) -> None:
            if scope["type"] != "http":
                return
            await send(
                {"type": "http.response.start", "status": status, "headers": [(b"content-type", b"application/json")]}
            )
            await send({"type": "http.response.body", "body": body})

        return app

    wrong = (
        (500, b'{"error": "InternalError"}', not_a_server_error),
        (200, b'{"username": 42}', response_schema_conformance),
    )
    for status, body, check in wrong:
        case = me.Case()
        response = case.call(app=answering(status, body))
        with pytest.raises((Failure, FailureGroup)):
            case.validate_response(response, checks=[check])


def test_the_fuzz_sent_enough_cases():
    if len(STATUSES) < len(OPERATIONS):
        pytest.skip(f"only {len(STATUSES)} of {len(OPERATIONS)} operations fuzzed in this run; run the whole module")
    total = sum(s.total() for s in STATUSES.values())
    ok = sum(n for s in STATUSES.values() for code, n in s.items() if 200 <= code < 300)
    print(
        f"\nAPI fuzz: {total} cases over {len(STATUSES)} operations (up to {MAX_EXAMPLES} generated each), "
        f"{ok} answered 2xx"
    )
    for label, statuses in STATUSES.items():
        print(f"  {label}: {dict(sorted(statuses.items()))}")
    assert len(OPERATIONS) >= 45  # a document that lost its operations would fuzz nothing
    assert total >= MIN_TOTAL_CASES, f"only {total} cases ran: {STATUSES}"
    assert ok >= total // 5, f"only {ok} of {total} cases reached a handler that succeeded: {STATUSES}"
