"""Refusals of billing services: one hierarchy under AppError, turned into JSON or a page by the app."""

from compound.kit.errors import AppError, Conflict, InvalidInput, NotFound


class BillingError(AppError):
    status_code = 400


class PeriodClosed(BillingError, Conflict):
    """The period is closed: nothing in it changes any more."""

    status_code = 409


class BillsIssued(BillingError, Conflict):
    """The bills are issued and never change: corrections are adjustments."""

    status_code = 409


class RunOutOfOrder(BillingError, Conflict):
    """Another period's bills stand in the way (a later run, or an earlier draft not yet issued)."""

    status_code = 409


class TariffRefused(BillingError, InvalidInput):
    status_code = 422


class BillingNotFound(BillingError, NotFound):
    status_code = 404
