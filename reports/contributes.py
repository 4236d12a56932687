"""What reports (the volume balance, the money view, findings, charts) add to the shell."""

from compound.kit.contributes import Contribution, Job, folder
from reports.findings.models import Finding, FindingSettings, MeterTest, WorkOrder
from reports.models import (
    BalanceSettings,
    LossCable,
    NightFlowReading,
    NightFlowTest,
    UnbilledAccount,
    UtilityBill,
    UtilityBillLine,
)
from reports.money.models import MoneyCache

CONTRIBUTES = Contribution(
    name="reports",
    models=(
        UnbilledAccount,
        BalanceSettings,
        LossCable,
        UtilityBill,
        UtilityBillLine,
        NightFlowTest,
        NightFlowReading,
        Finding,
        WorkOrder,
        MeterTest,
        FindingSettings,
        MoneyCache,
    ),  # fmt: skip
    audited={
        UnbilledAccount: "unbilled_account",
        BalanceSettings: "balance_settings",
        LossCable: "loss_cable",
        UtilityBill: "utility_bill",
        UtilityBillLine: "utility_bill_line",
        NightFlowTest: "night_flow_test",
        NightFlowReading: "night_flow_reading",
        Finding: "finding",
        WorkOrder: "work_order",
        MeterTest: "meter_test",
        FindingSettings: "finding_settings",
    },
    routers=(
        "reports.api",
        "reports.money.api",
        "reports.money.pages",
        "reports.pages",
        "reports.night_pages",
        "reports.bill_pages",
        # The managers' page and the thresholds before /findings/{finding_id}, which would take their names for ids.
        "reports.findings.summary_pages",
        "reports.findings.pages",
        "reports.findings.order_pages",
        "reports.findings.api",
    ),
    commands={
        "reconcile": "reports.cli:reconcile_app",
        "balance": "reports.cli:balance_app",
        "findings": "reports.findings.cli:findings_app",
        "report": "reports.cli:report_app",
    },
    # After each month: its findings, and the savings of done work orders (idempotent).
    jobs=(
        Job(
            name="findings.raise",
            path="reports.findings.jobs:raise_findings",
            daily_at="05:30",
            description="The last month's findings; the savings of done work orders.",
        ),
    ),
    templates=folder(__file__, "templates"),
    locale=folder(__file__, "locale"),
)
