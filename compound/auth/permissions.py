"""The role table: what each role may do. Every route declares one permission (or that it is public)."""

from enum import StrEnum

from compound.auth.models import Role


class Perm(StrEnum):
    register_view = "register:view"  # zones, buildings, accounts, meters, the tree, readings
    register_edit = "register:edit"  # compounds, zones, buildings, accounts
    meters_edit = "meters:edit"  # meters and their place in the tree, transformers, unmetered uses
    meters_service = "meters:service"  # seals, replacements
    readings_write = "readings:write"  # readings, estimates, imports of readings
    billing_view = "billing:view"
    billing_edit = "billing:edit"  # tariffs, bill runs, bills, payments, collections
    reports_view = "reports:view"
    audit_view = "audit:view"
    users_manage = "users:manage"
    jobs_view = "jobs:view"  # the scheduled jobs and every run of them
    findings_view = "findings:view"  # findings, work orders, meter accuracy tests, verified savings
    orders_edit = "orders:edit"  # raise and dismiss findings; work orders and their moves; meter accuracy tests
    self_service = "self"  # one's own password and API tokens


_VIEW = {Perm.register_view, Perm.billing_view, Perm.reports_view, Perm.self_service}

ROLE_PERMISSIONS: dict[Role, frozenset[Perm]] = {
    Role.maintenance: frozenset(
        {
            Perm.register_view,
            Perm.meters_edit,
            Perm.meters_service,
            Perm.readings_write,
            Perm.self_service,
            Perm.findings_view,
            Perm.orders_edit,
        }  # fmt: skip
    ),
    Role.finance: frozenset(
        {
            Perm.register_view,
            Perm.billing_view,
            Perm.billing_edit,
            Perm.reports_view,
            Perm.self_service,
            Perm.findings_view,
            Perm.orders_edit,
        }  # fmt: skip
    ),
    Role.manager: frozenset(_VIEW | {Perm.audit_view, Perm.findings_view}),
    Role.admin: frozenset(
        {
            Perm.register_view,
            Perm.register_edit,
            Perm.meters_edit,
            Perm.users_manage,
            Perm.audit_view,
            Perm.jobs_view,
            Perm.self_service,
        }
    ),
}


def allowed(role: Role | str, perm: Perm) -> bool:
    return perm in ROLE_PERMISSIONS.get(Role(role), frozenset())
