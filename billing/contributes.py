"""What billing (tariffs, bill runs, bills, adjustments; payments and collections later) adds to the shell."""

from billing.collections.jobs import COLLECTION_RUN
from billing.collections.models import MODELS as COLLECTION_MODELS
from billing.collections.models import CollectionContact, CollectionLevel, CollectionPolicy
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
from billing.payments.models import (
    FundingItem,
    FundingRequest,
    IdempotencyKey,
    Payment,
    PaymentAllocation,
    PaymentMethod,
    PaymentReversal,
    PayrollBatch,
    PayrollEnrolment,
    PayrollRow,
    ReceiptCounter,
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
        # billing/payments: payments, allocations, reversals, receipts, idempotency, payroll, funding requests
        PaymentMethod,
        Payment,
        PaymentAllocation,
        PaymentReversal,
        ReceiptCounter,
        IdempotencyKey,
        PayrollEnrolment,
        PayrollBatch,
        PayrollRow,
        FundingRequest,
        FundingItem,
        # billing/collections: policies and levels, cases, actions, contacts
        *COLLECTION_MODELS,
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
        Payment: "payment",
        PaymentReversal: "payment_reversal",
        PayrollEnrolment: "payroll_enrolment",
        FundingRequest: "funding_request",
        CollectionPolicy: "collection_policy",
        CollectionLevel: "collection_level",
        CollectionContact: "collection_contact",
    },
    routers=(
        "billing.api",
        "billing.pages",
        "billing.payments.api",
        "billing.payments.pages",
        "billing.collections.pages",
    ),
    jobs=(COLLECTION_RUN,),
    commands={
        "bills": "billing.cli:bills_app",
        "tariffs": "billing.cli:tariffs_app",
        "payments": "billing.payments.cli:payments_app",
        "collections": "billing.collections.cli:collections_app",
    },
    templates=folder(__file__, "templates"),
    locale=folder(__file__, "locale"),
)
