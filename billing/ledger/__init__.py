"""The ledger: every yuan a payer owes, as a sum of entries — never a stored number that could drift.

Entries are issued bills (+), adjustments (+ debit note, − credit note), payments (−) and reversals of payments
(+), each dated: a bill by its issue, an adjustment by its creation, a payment by the day it was received, a
reversal by its day. "As of" a day means the end of that day in the compound's timezone. Every function takes
a session and the compound (anything with `id` and `timezone`), never commits, and works set-based: one or a
few SQL statements whatever the number of accounts. Money comes back as Decimal yuan; the *_query functions
give SQL to build on, in integer fen (SQLite keeps NUMERIC as REAL: add up fen, never the Numeric columns).

For the collections run, the money view and the pages:

- `balances(session, compound=, as_of=, payers=None) -> {payer_id: Decimal}` and `balance(..., payer_id=)`
  (billing/ledger/balances.py): owed > 0, credit < 0.
- `open_items(session, compound=, as_of=, payers=None) -> [OpenItem]` and `open_items_query(compound, as_of,
  payers)`: what is still owed bill by bill (payer, bill, consumer account, class, utility, official use, month,
  due date, fen), after every credit of the payer was set against the oldest bills; they add up to the balance.
- `arrears_query(compound, as_of, payers=None)`: per payer owed_fen, overdue_fen and oldest_due_on (the age of
  the oldest unpaid bill): the input of a collection run's levels.
- `ageing(session, compound=, as_of=, by=AgeBy.account|building|zone|customer_class|payer)` and `ageing_query`
  (billing/ledger/ageing.py): 0–30, 31–60, 61–90, 91–180, over 180 days past the due date (0–30 includes what is
  not yet due), per group.
- `statement(session, compound=, payer_id=, from_date=, to_date=)` (billing/ledger/statement.py): opening,
  entries with a running balance, closing.
- `habits(session, compound=, as_of=, payers=None) -> {payer_id: PayerHabit}` (billing/ledger/habits.py):
  monthly, half-yearly, yearly (with the usual month), irregular, none; and whether the payer has lapsed.

Allocations (billing/payments/allocation.py) record which payment paid which bill; `apply_credit(session,
compound=, on=, payers=None)` allocates free credit to bills issued since, oldest first — call it after issuing
bills. The ledger's figures never depend on it having run: open items net unallocated credit themselves.
"""

from billing.ledger.ageing import BUCKETS, AgeBy, AgeingRow, ageing, ageing_query
from billing.ledger.balances import OpenItem, arrears_query, balance, balances, open_items, open_items_query
from billing.ledger.habits import Habit, PayerHabit, habits
from billing.ledger.statement import Statement, StatementLine, statement

__all__ = [
    "BUCKETS",
    "AgeBy",
    "AgeingRow",
    "Habit",
    "OpenItem",
    "PayerHabit",
    "Statement",
    "StatementLine",
    "ageing",
    "ageing_query",
    "arrears_query",
    "balance",
    "balances",
    "habits",
    "open_items",
    "open_items_query",
    "statement",
]
