"""What reports (the volume balance, the money view, findings, charts) add to the shell."""

from compound.kit.contributes import Contribution, folder
from reports.models import (
    BalanceSettings,
    LossCable,
    NightFlowReading,
    NightFlowTest,
    UnbilledAccount,
    UtilityBill,
    UtilityBillLine,
)

CONTRIBUTES = Contribution(
    name="reports",
    models=(UnbilledAccount, BalanceSettings, LossCable, UtilityBill, UtilityBillLine, NightFlowTest, NightFlowReading),
    audited={
        UnbilledAccount: "unbilled_account",
        BalanceSettings: "balance_settings",
        LossCable: "loss_cable",
        UtilityBill: "utility_bill",
        UtilityBillLine: "utility_bill_line",
        NightFlowTest: "night_flow_test",
        NightFlowReading: "night_flow_reading",
    },
    routers=("reports.api", "reports.money.api", "reports.pages", "reports.night_pages", "reports.bill_pages"),
    commands={"reconcile": "reports.cli:reconcile_app", "balance": "reports.cli:balance_app"},
    templates=folder(__file__, "templates"),
    locale=folder(__file__, "locale"),
)
