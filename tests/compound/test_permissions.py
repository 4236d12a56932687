"""Every route against the README's role table.

A route must declare `Require(Perm.x)` or `Public`; one that declares neither fails here. Then every
route is called as every role: a role the README lets do it never gets 403, any other role always does,
and nobody ever gets a 500.

The expectation is written out below, route by route, from the README's Roles section, and never derived
from the code's own table (compound/auth/permissions.py): a wrong line there must fail here.
"""

import re

import pytest
from fastapi.routing import APIRoute

from compound.auth.models import Role
from compound.auth.permissions import allowed
from compound.shell.app import create_app
from tests.factories import make_compound
from tests.personas import bearer, make_user

PUBLIC = "public"

# The README's Roles section, as sets of personas: the four roles (of the test's compound), and an
# administrator of every compound. Everyone logged in also manages their own account.
EVERY = "admin of every compound"
PERSONAS = (*Role, EVERY)
EVERYONE = frozenset(PERSONAS)  # view the register; one's own password, tokens and logout
MAINTENANCE = frozenset({Role.maintenance})  # seals, replacements; readings, estimates and imports
METERS = frozenset({Role.maintenance, Role.admin, EVERY})  # meters and the tree (transformers, unmetered uses)
ADMIN = frozenset({Role.admin, EVERY})  # users; the register: zones, buildings, accounts
AUDIT = frozenset({Role.manager, Role.admin, EVERY})  # the audit trail
EVERY_ONLY = frozenset({EVERY})  # adding a compound
REPORTS = frozenset({Role.finance, Role.manager})  # reports: the balance, its charts, the utility's bills
FINANCE = frozenset({Role.finance})  # the utility's bills, the balance settings
FINDINGS = frozenset({Role.maintenance, Role.finance, Role.manager})  # findings, work orders, savings: seeing them
ORDERS = frozenset({Role.maintenance, Role.finance})  # raising, dismissing; work orders and their moves; meter tests
BILLING_VIEW = frozenset({Role.finance, Role.manager})  # tariffs, bill runs, bills: managers see, finance changes

C = "/api/compounds/{compound_id}"
P = "/c/{compound_id}"
EXPECTED: dict[str, frozenset[Role | str] | str] = {
    # Public
    "GET /login": PUBLIC,
    "POST /login": PUBLIC,
    "GET /docs": PUBLIC,
    "GET /healthz": PUBLIC,
    "GET /favicon.ico": PUBLIC,
    "GET /lang/{code}": PUBLIC,
    # One's own account
    "POST /logout": EVERYONE,
    "GET /account": EVERYONE,
    "POST /account/password": EVERYONE,
    "POST /account/tokens": EVERYONE,
    "POST /account/tokens/{token_id}/revoke": EVERYONE,
    "POST /account/sessions/{session_id}/end": EVERYONE,
    "POST /account/sessions/end-others": EVERYONE,
    "GET /api/me": EVERYONE,
    "GET /api/tokens": EVERYONE,
    "POST /api/tokens": EVERYONE,
    "POST /api/tokens/{token_id}/revoke": EVERYONE,
    # Users: administrators
    "GET /api/users": ADMIN,
    "POST /api/users": ADMIN,
    "GET /api/users/{user_id}": ADMIN,
    "PATCH /api/users/{user_id}": ADMIN,
    "POST /api/users/{user_id}/password": ADMIN,
    "GET /api/users/{user_id}/tokens": ADMIN,
    "POST /api/users/{user_id}/tokens/{token_id}/revoke": ADMIN,
    "GET /users": ADMIN,
    "POST /users": ADMIN,
    "POST /users/{user_id}/active": ADMIN,
    "POST /users/{user_id}/edit": ADMIN,
    "POST /users/{user_id}/password": ADMIN,
    "GET /users/{user_id}/tokens": ADMIN,
    "POST /users/{user_id}/tokens/{token_id}/revoke": ADMIN,
    # The audit trail: managers and administrators
    "GET /api/audit": AUDIT,
    "GET /audit": AUDIT,
    "GET /audit.csv": AUDIT,
    # The scheduled jobs' runs: administrators
    "GET /api/job-runs": ADMIN,
    "GET /jobs": ADMIN,
    # Viewing the register: everyone
    "GET /": EVERYONE,
    "GET /api/compounds": EVERYONE,
    f"GET {C}": EVERYONE,
    f"GET {C}/zones": EVERYONE,
    f"GET {C}/zones/{{zone_id}}": EVERYONE,
    f"GET {C}/buildings": EVERYONE,
    f"GET {C}/buildings/{{building_id}}": EVERYONE,
    f"GET {C}/accounts": EVERYONE,
    f"GET {C}/accounts/{{account_id}}": EVERYONE,
    f"GET {C}/meters": EVERYONE,
    f"GET {C}/meters/{{meter_id}}": EVERYONE,
    f"GET {C}/meters/{{meter_id}}/readings": EVERYONE,
    f"GET {C}/meters/{{meter_id}}/seals": EVERYONE,
    f"GET {C}/missed-readings": EVERYONE,
    f"GET {C}/readings/template.csv": EVERYONE,
    f"GET {C}/readings/template.xlsx": EVERYONE,
    f"GET {C}/transformers": EVERYONE,
    f"GET {C}/transformers/{{transformer_id}}": EVERYONE,
    f"GET {C}/tree": EVERYONE,
    f"GET {C}/unmetered": EVERYONE,
    f"GET {C}/unmetered/{{unmetered_id}}": EVERYONE,
    f"GET {C}/unmetered/{{unmetered_id}}/estimate": EVERYONE,
    f"GET {P}/": EVERYONE,
    f"GET {P}/zones": EVERYONE,
    f"GET {P}/buildings": EVERYONE,
    f"GET {P}/accounts": EVERYONE,
    f"GET {P}/buildings/{{building_id}}/meters": EVERYONE,
    f"GET {P}/meters/{{meter_id}}": EVERYONE,
    f"GET {P}/meters/{{meter_id}}/chart.png": EVERYONE,
    f"GET {P}/register/meters": EVERYONE,
    f"GET {P}/register/transformers": EVERYONE,
    f"GET {P}/register/unmetered": EVERYONE,
    f"GET {P}/rounds/building/{{building_id}}": EVERYONE,
    f"GET {P}/rounds/zone/{{zone_id}}": EVERYONE,
    # The register itself: administrators
    "POST /api/compounds": EVERY_ONLY,
    "GET /compounds/new": EVERY_ONLY,
    "POST /compounds/new": EVERY_ONLY,
    f"POST {C}/zones": ADMIN,
    f"PATCH {C}/zones/{{zone_id}}": ADMIN,
    f"POST {C}/buildings": ADMIN,
    f"PATCH {C}/buildings/{{building_id}}": ADMIN,
    f"POST {C}/accounts": ADMIN,
    f"PATCH {C}/accounts/{{account_id}}": ADMIN,
    f"GET {P}/zones/new": ADMIN,
    f"POST {P}/zones/new": ADMIN,
    f"GET {P}/zones/{{zone_id}}/edit": ADMIN,
    f"POST {P}/zones/{{zone_id}}/edit": ADMIN,
    f"GET {P}/buildings/new": ADMIN,
    f"POST {P}/buildings/new": ADMIN,
    f"GET {P}/buildings/{{building_id}}/edit": ADMIN,
    f"POST {P}/buildings/{{building_id}}/edit": ADMIN,
    f"GET {P}/accounts/new": ADMIN,
    f"POST {P}/accounts/new": ADMIN,
    f"GET {P}/accounts/{{account_id}}/edit": ADMIN,
    f"POST {P}/accounts/{{account_id}}/edit": ADMIN,
    # Meters and the tree, transformers, unmetered uses: maintenance and administrators
    f"POST {C}/meters": METERS,
    f"PATCH {C}/meters/{{meter_id}}": METERS,
    f"POST {C}/transformers": METERS,
    f"PATCH {C}/transformers/{{transformer_id}}": METERS,
    f"POST {C}/unmetered": METERS,
    f"PATCH {C}/unmetered/{{unmetered_id}}": METERS,
    f"GET {P}/register/meters/new": METERS,
    f"POST {P}/register/meters/new": METERS,
    f"GET {P}/register/meters/{{meter_id}}/edit": METERS,
    f"POST {P}/register/meters/{{meter_id}}/edit": METERS,
    f"GET {P}/register/transformers/new": METERS,
    f"POST {P}/register/transformers/new": METERS,
    f"GET {P}/register/transformers/{{transformer_id}}/edit": METERS,
    f"POST {P}/register/transformers/{{transformer_id}}/edit": METERS,
    f"GET {P}/register/unmetered/new": METERS,
    f"POST {P}/register/unmetered/new": METERS,
    f"GET {P}/register/unmetered/{{unmetered_id}}/edit": METERS,
    f"POST {P}/register/unmetered/{{unmetered_id}}/edit": METERS,
    # Seals and replacements; readings, estimates and imports: maintenance
    f"POST {C}/meters/{{meter_id}}/seals": MAINTENANCE,
    f"POST {C}/meters/{{meter_id}}/seals/{{seal_id}}/break": MAINTENANCE,
    f"POST {C}/meters/{{meter_id}}/replacement": MAINTENANCE,
    f"POST {C}/meters/{{meter_id}}/readings": MAINTENANCE,
    f"POST {C}/meters/{{meter_id}}/readings/{{reading_id}}/correction": MAINTENANCE,
    f"POST {C}/meters/{{meter_id}}/estimate": MAINTENANCE,
    f"POST {C}/readings/import": MAINTENANCE,
    f"POST {P}/meters/{{meter_id}}/seals": MAINTENANCE,
    f"POST {P}/meters/{{meter_id}}/seals/{{seal_id}}/break": MAINTENANCE,
    f"POST {P}/meters/{{meter_id}}/replace": MAINTENANCE,
    f"POST {P}/meters/{{meter_id}}/estimate": MAINTENANCE,
    f"POST {P}/rounds/building/{{building_id}}": MAINTENANCE,
    f"POST {P}/rounds/zone/{{zone_id}}": MAINTENANCE,
    f"GET {P}/import": MAINTENANCE,
    f"POST {P}/import": MAINTENANCE,
    # Billing: finance runs the bills and keeps the tariffs; managers see them
    f"GET {C}/tariffs": BILLING_VIEW,
    f"POST {C}/tariffs": FINANCE,
    f"POST {C}/bill-runs/{{period}}": FINANCE,
    f"POST {C}/bill-runs/{{period}}/issue": FINANCE,
    f"POST {C}/bill-runs/{{period}}/close": FINANCE,
    f"GET {C}/bill-runs/{{period}}/exceptions": BILLING_VIEW,
    f"GET {C}/bills": BILLING_VIEW,
    f"GET {C}/bills/{{bill_id}}": BILLING_VIEW,
    f"POST {C}/bills/{{bill_id}}/adjustments": FINANCE,
    f"GET {P}/billing": BILLING_VIEW,
    f"POST {P}/billing/run": FINANCE,
    f"GET {P}/billing/{{period}}": BILLING_VIEW,
    f"POST {P}/billing/{{period}}/run": FINANCE,
    f"POST {P}/billing/{{period}}/issue": FINANCE,
    f"POST {P}/billing/{{period}}/close": FINANCE,
    f"GET {P}/billing/{{period}}/notices": BILLING_VIEW,
    f"GET {P}/billing/{{period}}/register.xlsx": BILLING_VIEW,
    f"GET {P}/billing/bills/{{bill_id}}": BILLING_VIEW,
    f"POST {P}/billing/bills/{{bill_id}}/adjustments": FINANCE,
    f"GET {P}/billing-tariffs": BILLING_VIEW,
    f"POST {P}/billing-tariffs": FINANCE,
    # The volume balance: reports for finance and managers; the night-flow test for maintenance
    f"GET {C}/balance": REPORTS,
    f"POST {C}/balance/quick/{{utility}}": REPORTS,
    f"GET {C}/utility-bills": REPORTS,
    f"GET {C}/balance-settings": REPORTS,
    f"GET {C}/loss-cables": REPORTS,
    f"GET {C}/money": REPORTS,  # the money view
    f"GET {P}/money": REPORTS,
    f"GET {P}/money/charts/{{name}}.{{fmt}}": REPORTS,
    f"GET {P}/money/charts/{{name}}": REPORTS,
    f"GET {P}/dashboard": REPORTS,
    f"GET {P}/report": REPORTS,
    f"GET {P}/balance": REPORTS,
    f"GET {P}/balance/charts/{{name}}.{{fmt}}": REPORTS,
    f"GET {P}/balance/quick": REPORTS,
    f"POST {P}/balance/quick": REPORTS,
    f"GET {P}/utility-bills": REPORTS,
    f"POST {C}/utility-bills": FINANCE,
    f"PATCH {C}/balance-settings": FINANCE,
    f"POST {C}/loss-cables": FINANCE,
    f"GET {P}/utility-bills/new": FINANCE,
    f"POST {P}/utility-bills/new": FINANCE,
    f"GET {P}/balance/settings": FINANCE,
    f"POST {P}/balance/settings": FINANCE,
    f"GET {P}/balance/unbilled": FINANCE,
    f"POST {P}/balance/unbilled": FINANCE,
    f"GET {C}/night-flow-tests": MAINTENANCE,
    f"POST {C}/night-flow-tests": MAINTENANCE,
    f"GET {C}/night-flow-tests/{{test_id}}": MAINTENANCE,
    f"GET {P}/night-flow": MAINTENANCE,
    f"POST {P}/night-flow": MAINTENANCE,
    f"GET {P}/night-flow/{{test_id}}": MAINTENANCE,
    f"GET {P}/night-flow/{{test_id}}/chart.{{fmt}}": MAINTENANCE,
    f"GET {P}/night-flow/settings": MAINTENANCE,
    f"POST {P}/night-flow/settings": MAINTENANCE,
    # Payments and the ledger: finance records, finance and managers see (the README's "bills, payments")
    f"GET {C}/payment-methods": REPORTS,
    f"GET {C}/payments": REPORTS,
    f"GET {C}/payments/{{payment_id}}": REPORTS,
    f"GET {C}/accounts/{{account_id}}/balance": REPORTS,
    f"GET {C}/accounts/{{account_id}}/statement": REPORTS,
    f"GET {C}/ageing": REPORTS,
    f"POST {C}/payments": FINANCE,
    f"POST {C}/payments/{{payment_id}}/reversal": FINANCE,
    f"GET {P}/payments": REPORTS,
    f"GET {P}/payments/{{payment_id}}/receipt": REPORTS,
    f"GET {P}/accounts/{{account_id}}/statement": REPORTS,
    f"GET {P}/ageing": REPORTS,
    f"GET {P}/payroll": REPORTS,
    f"GET {P}/payroll/{{batch_id}}.xlsx": REPORTS,
    f"GET {P}/funding": REPORTS,
    f"GET {P}/funding/{{request_id}}/letter": REPORTS,
    f"GET {P}/payments/new": FINANCE,
    f"POST {P}/payments/new": FINANCE,
    f"POST {P}/payments/{{payment_id}}/reverse": FINANCE,
    f"POST {P}/payroll": FINANCE,
    f"POST {P}/payroll/{{batch_id}}/confirm": FINANCE,
    f"POST {P}/funding": FINANCE,
    f"POST {P}/funding/{{request_id}}/receive": FINANCE,
    # Collections: finance chases and records outcomes, managers see (the README's "collections")
    f"GET {P}/collections": REPORTS,
    f"GET {P}/collections/calls": REPORTS,
    f"GET {P}/collections/visits": REPORTS,
    f"GET {P}/collections/letters": REPORTS,
    f"GET {P}/collections/letters/print": REPORTS,
    f"GET {P}/collections/key-defaulters": REPORTS,
    f"GET {P}/collections/policies": REPORTS,
    f"POST {P}/collections/tasks/{{action_id}}/outcome": FINANCE,
    f"POST {P}/collections/letters/sent": FINANCE,
    f"POST {P}/collections/policies": FINANCE,
    f"POST {P}/collections/policies/{{policy_id}}": FINANCE,
    # Findings and work orders: maintenance and finance act on them, managers see them
    f"GET {C}/findings": FINDINGS,
    f"POST {C}/findings": ORDERS,
    f"POST {C}/findings/raise": ORDERS,
    f"GET {C}/findings/{{finding_id}}": FINDINGS,
    f"POST {C}/findings/{{finding_id}}/dismiss": ORDERS,
    f"GET {C}/work-orders": FINDINGS,
    f"POST {C}/work-orders": ORDERS,
    f"GET {C}/work-orders/{{order_id}}": FINDINGS,
    f"PATCH {C}/work-orders/{{order_id}}": ORDERS,
    f"POST {C}/work-orders/{{order_id}}/move": ORDERS,
    f"GET {C}/meter-tests": FINDINGS,
    f"POST {C}/meter-tests": ORDERS,
    f"GET {C}/finding-settings": FINDINGS,
    f"PATCH {C}/finding-settings": FINANCE,
    f"GET {C}/findings-summary": REPORTS,
    f"GET {C}/events": REPORTS,
    f"GET {P}/findings": FINDINGS,
    f"GET {P}/findings/new": ORDERS,
    f"POST {P}/findings/new": ORDERS,
    f"GET {P}/findings/{{finding_id}}": FINDINGS,
    f"POST {P}/findings/{{finding_id}}/dismiss": ORDERS,
    f"POST {P}/findings/{{finding_id}}/order": ORDERS,
    f"GET {P}/orders": FINDINGS,
    f"GET {P}/orders/new": ORDERS,
    f"POST {P}/orders/new": ORDERS,
    f"GET {P}/orders/{{order_id}}": FINDINGS,
    f"POST {P}/orders/{{order_id}}/move": ORDERS,
    f"GET {P}/findings/summary": REPORTS,
    f"GET {P}/findings/settings": FINANCE,
    f"POST {P}/findings/settings": FINANCE,
}


def _declared(dependant) -> set:
    found = set()
    for dep in dependant.dependencies:
        if getattr(dep.call, "public", False):
            found.add(PUBLIC)
        if (perm := getattr(dep.call, "permission", None)) is not None:
            found.add(perm)
        found |= _declared(dep)
    return found


def _routes(routes):
    """Every API route, also those behind included routers (FastAPI wraps them as _IncludedRouter)."""
    for r in routes:
        if isinstance(r, APIRoute):
            yield r
        elif hasattr(r, "effective_route_contexts"):
            yield from (c for c in r.effective_route_contexts() if hasattr(c, "dependant"))


ROUTES = list(_routes(create_app().router.routes))


def _key(route, method: str) -> str:
    return f"{method} {route.path}"


def _cases():
    for route in ROUTES:
        for method in sorted(route.methods - {"HEAD"}):
            yield pytest.param(route, method, id=_key(route, method))


def test_the_walk_finds_every_route():
    assert len(ROUTES) >= 60  # a broken walk would check nothing


def test_every_route_declares_a_permission_or_public():
    missing = [f"{sorted(r.methods)} {r.path}" for r in ROUTES if len(_declared(r.dependant)) != 1]
    assert not missing, "routes without exactly one Require(...)/Public: " + ", ".join(missing)


def test_every_route_has_an_expectation_and_every_expectation_a_route():
    routes = {_key(r, m) for r in ROUTES for m in r.methods - {"HEAD"}}
    assert sorted(routes - EXPECTED.keys()) == [], "say in EXPECTED who may call these new routes"
    assert sorted(EXPECTED.keys() - routes) == [], "these routes are gone: drop them from EXPECTED"


def test_the_code_grants_what_the_readme_says():
    """The whole table at once, without requests: a quick, complete list of every disagreement."""
    wrong = []
    for route in ROUTES:
        (declared,) = _declared(route.dependant)
        for method in route.methods - {"HEAD"}:
            expected = EXPECTED[_key(route, method)]
            if (declared == PUBLIC) != (expected == PUBLIC):
                wrong.append(f"{_key(route, method)}: public in one, not the other")
            elif declared != PUBLIC:
                # The role table knows roles; an administrator of every compound is an administrator there.
                expected = {p for p in expected if isinstance(p, Role)} | ({Role.admin} if EVERY in expected else set())
                granted = {role for role in Role if allowed(role, declared)}
                if granted != expected:
                    wrong.append(f"{_key(route, method)}: the code lets {sorted(granted)}, README {sorted(expected)}")
    assert not wrong, "\n".join(sorted(wrong))


@pytest.mark.parametrize(("route", "method"), list(_cases()))
def test_route_obeys_the_role_table(anon, session, route, method):
    compound = make_compound(session)
    expected = EXPECTED[_key(route, method)]
    path = re.sub(r"\{compound_id\}", str(compound.id), route.path)
    path = re.sub(r"\{[a-z_]+(:path)?\}", "1", path)
    for role in PERSONAS:
        if role == EVERY:
            user = make_user(session, role=Role.admin, all_compounds=True)
        else:
            user = make_user(session, role=role, compounds=[compound])
        kwargs = {"json": {}} if method in ("POST", "PUT", "PATCH") and "/api/" in path else {}
        r = anon.request(method, path, headers=bearer(session, user), follow_redirects=False, **kwargs)
        assert r.status_code < 500, f"{role}: {r.status_code} {r.text[:300]}"
        if expected == PUBLIC:
            continue
        if role in expected:
            assert r.status_code != 403, f"{role} may call it (README) but got 403: {r.text[:200]}"
        else:
            assert r.status_code == 403, f"{role} may not call it (README) but got {r.status_code}"
