"""What billing (tariffs, bill runs, bills, adjustments; payments and collections later) adds to the shell."""

from billing.models import (
    Bill,
    BillAdjustment,
    BillException,
    BillingAccount,
    BillingPeriod,
    BillingSettings,
    BillLine,
    CustomerClass,
    HouseholdSize,
    Tariff,
    TariffBlock,
    TariffCharge,
    TariffComponent,
)
from compound.kit.contributes import Contribution, folder

CONTRIBUTES = Contribution(
    name="billing",
    models=(
        CustomerClass,
        BillingSettings,
        BillingAccount,
        HouseholdSize,
        Tariff,
        TariffComponent,
        TariffBlock,
        TariffCharge,
        BillingPeriod,
        Bill,
        BillLine,
        BillException,
        BillAdjustment,
    ),
    # Bills and their lines are written set-based by the run and are reproducible from readings × tariff;
    # what a person decides is audited: tariffs, classes, household sizes, settings, periods, adjustments.
    audited={
        CustomerClass: "customer_class",
        BillingSettings: "billing_settings",
        BillingAccount: "billing_account",
        HouseholdSize: "household_size",
        Tariff: "tariff",
        TariffComponent: "tariff_component",
        TariffBlock: "tariff_block",
        TariffCharge: "tariff_charge",
        BillingPeriod: "billing_period",
        BillAdjustment: "bill_adjustment",
    },
    routers=("billing.api", "billing.pages"),
    commands={"bills": "billing.cli:bills_app", "tariffs": "billing.cli:tariffs_app"},
    templates=folder(__file__, "templates"),
    locale=folder(__file__, "locale"),
)
