"""The bill run's statements: a handful of set-based SQL steps over temporary tables, the same on both databases.

Everything is integer arithmetic: quantities in thousandths of a unit (milli), prices in ten-thousandths of a
yuan per unit (e4), money in fen. The one rounding rule, `rhu`, is ROUND_HALF_UP (half away from zero) of an
exact integer quotient; every money line is rounded once, from its own quantity × price, and the bill is the sum
of its lines. Temporary tables live on the run's own connection, so a killed run leaves none behind.
"""

from dataclasses import dataclass

INF_MILLI = 10**15  # "no ceiling" on a block: above any quantity a Numeric(14, 3) holds


@dataclass(frozen=True)
class Dialect:
    name: str

    def days(self, a: str, b: str) -> str:
        """Whole days from date a to date b."""
        if self.name == "sqlite":
            return f"CAST(julianday({b}) - julianday({a}) AS INTEGER)"
        return f"(CAST({b} AS DATE) - CAST({a} AS DATE))"

    def plus_day(self, d: str) -> str:
        return f"date({d}, '+1 day')" if self.name == "sqlite" else f"CAST({d} + 1 AS DATE)"

    def num(self, milli: str, places: int) -> str:
        """An integer count of 10^-places → the Numeric column's value (exact on PostgreSQL)."""
        scale = 10**places
        if self.name == "sqlite":
            return f"(({milli}) / {scale}.0)"
        return f"(CAST({milli} AS NUMERIC) / {scale})"


def rhu(num: str, den: str) -> str:
    """ROUND_HALF_UP(num / den) for an integer num of either sign and a positive integer den."""
    return (
        f"(CASE WHEN ({num}) >= 0 THEN (2 * ({num}) + ({den})) / (2 * ({den})) "
        f"ELSE -((2 * (-({num})) + ({den})) / (2 * ({den}))) END)"
    )


def least(a: str, b: str) -> str:
    return f"(CASE WHEN ({a}) < ({b}) THEN ({a}) ELSE ({b}) END)"


def greatest(a: str, b: str) -> str:
    return f"(CASE WHEN ({a}) > ({b}) THEN ({a}) ELSE ({b}) END)"


TEMP_TABLES = (
    "t_version",
    "t_tblock",
    "t_tcharge",
    "t_meter",
    "t_last",
    "t_start",
    "t_win",
    "t_corr",
    "t_use",
    "t_bill",
    "t_bill2",
    "t_part0",
    "t_part",
    "t_part2",
    "t_pb",
    "t_line",
)

# The tariff versions in force during the window, with integer figures (written from Python: a few rows).
CREATE_INPUTS = (
    """CREATE TEMP TABLE t_version (tariff_id BIGINT, class_id BIGINT, utility VARCHAR(16), vfrom DATE, vto DATE,
       basis VARCHAR(16), year_start DATE, min_milli BIGINT, base_persons INTEGER, step_milli BIGINT)""",
    """CREATE TEMP TABLE t_tblock (tariff_id BIGINT, component VARCHAR(32), cname VARCHAR(100), cpos INTEGER,
       number INTEGER, lo BIGINT, hi BIGINT, price_e4 BIGINT)""",
    """CREATE TEMP TABLE t_tcharge (tariff_id BIGINT, code VARCHAR(32), cname VARCHAR(100), fen BIGINT)""",
    """CREATE TEMP TABLE t_line (account_id BIGINT, utility VARCHAR(16), position INTEGER, kind VARCHAR(16),
       component VARCHAR(32), label VARCHAR(200), block INTEGER, meter_id BIGINT, prev_id BIGINT, cur_id BIGINT,
       prev_value BIGINT, cur_value BIGINT, prev_est INTEGER, cur_est INTEGER, multiplier INTEGER, qty BIGINT,
       price_e4 BIGINT, fen BIGINT, tariff_id BIGINT, days INTEGER)""",
)


def gather(d: Dialect) -> list[tuple[str, str]]:
    """Each billing meter's readings: from the last billed reading to the latest before the cut-off."""
    return [
        (
            "meters",
            """
CREATE TEMP TABLE t_meter AS
SELECT m.id AS meter_id, m.account_id, m.utility, m.multiplier, m.replaces_id, ba.class_id,
       CASE WHEN ba.official_use THEN 1 ELSE 0 END AS official,
       CASE WHEN a.payer = 'finance_bureau' THEN a.id * 0 + :fb ELSE a.id END AS payer_id,
       a.move_in_date, a.move_out_date
FROM meter m
JOIN account a ON a.compound_id = m.compound_id AND a.id = m.account_id
JOIN billing_account ba ON ba.compound_id = a.compound_id AND ba.account_id = a.id
WHERE m.compound_id = :c AND m.role = 'billing' AND NOT ba.exempt
  AND (a.move_in_date IS NULL OR a.move_in_date < :wend)
  AND (a.move_out_date IS NULL OR a.move_out_date >= :wstart)""",
        ),
        ("", "CREATE INDEX t_meter_k ON t_meter (meter_id)"),
        # The last reading an earlier period billed, per meter: this bill starts there, so no use is billed twice.
        (
            "last",
            """
CREATE TEMP TABLE t_last AS
SELECT l.meter_id, MAX(l.current_reading_id) AS reading_id
FROM bill_line l
JOIN bill b ON b.compound_id = l.compound_id AND b.id = l.bill_id
JOIN billing_period p ON p.compound_id = b.compound_id AND p.id = b.period_id
WHERE l.compound_id = :c AND l.kind = 'usage' AND p.month < :m AND l.current_reading_id IS NOT NULL
GROUP BY l.meter_id""",
        ),
        ("", "CREATE INDEX t_last_k ON t_last (meter_id)"),
        (
            "start",
            """
CREATE TEMP TABLE t_start AS
SELECT t.meter_id, r.id AS prev_id, r.read_at AS prev_at, r.value_milli AS prev_value,
       CASE WHEN r.source = 'estimated' THEN 1 ELSE 0 END AS prev_est, 1 AS billed
FROM t_meter t
JOIN t_last lb ON lb.meter_id = t.meter_id
JOIN reading r ON r.compound_id = :c AND r.id = lb.reading_id""",
        ),
        # A meter never billed starts at its first counted reading.
        (
            "start",
            """
INSERT INTO t_start
SELECT f.meter_id, r.id, r.read_at, r.value_milli, CASE WHEN r.source = 'estimated' THEN 1 ELSE 0 END, 0
FROM (SELECT x.meter_id, MIN(x.read_at) AS first_at
      FROM t_meter t JOIN reading x ON x.compound_id = :c AND x.meter_id = t.meter_id
      WHERE x.superseded_by_id IS NULL AND x.read_at < :cutoff
        AND NOT EXISTS (SELECT 1 FROM t_last lb WHERE lb.meter_id = t.meter_id)
      GROUP BY x.meter_id) f
JOIN reading r ON r.compound_id = :c AND r.meter_id = f.meter_id AND r.read_at = f.first_at
 AND r.superseded_by_id IS NULL""",
        ),
        ("", "CREATE INDEX t_start_k ON t_start (meter_id)"),
        (
            "window",
            """
CREATE TEMP TABLE t_win AS
SELECT s.meter_id, MAX(r.read_at) AS cur_at, CAST(SUM(COALESCE(r.consumption_milli, 0)) AS BIGINT) AS qty,
       COUNT(*) AS n,
       MAX(CASE WHEN r.source = 'estimated' THEN 1 ELSE 0 END) AS any_est,
       MAX(CASE WHEN r.confirmed LIKE :spike THEN 1 ELSE 0 END) AS spike,
       MAX(CASE WHEN r.kind = 'final' THEN 1 ELSE 0 END) AS final
FROM t_start s
JOIN reading r ON r.compound_id = :c AND r.meter_id = s.meter_id
WHERE r.read_at > s.prev_at AND r.read_at < :cutoff AND r.superseded_by_id IS NULL
GROUP BY s.meter_id""",
        ),
        ("", "CREATE INDEX t_win_k ON t_win (meter_id)"),
        # Estimates an earlier bill charged and a real reading of this window has since superseded: that real
        # reading's consumption runs from the last real reading, so the estimated use is taken off again.
        (
            "corrections",
            """
CREATE TEMP TABLE t_corr AS
SELECT s.meter_id, -CAST(SUM(e.consumption_milli) AS BIGINT) AS qty, MAX(e.read_at) AS est_at
FROM t_start s
JOIN reading e ON e.compound_id = :c AND e.meter_id = s.meter_id
JOIN reading r ON r.compound_id = :c AND r.id = e.superseded_by_id
WHERE s.billed = 1 AND e.read_at <= s.prev_at AND e.source = 'estimated'
  AND r.read_at > s.prev_at AND r.read_at < :cutoff AND r.superseded_by_id IS NULL
GROUP BY s.meter_id""",
        ),
        ("", "CREATE INDEX t_corr_k ON t_corr (meter_id)"),
        (
            "usage",
            """
CREATE TEMP TABLE t_use AS
SELECT t.meter_id, t.account_id, t.utility, t.multiplier, t.replaces_id, t.class_id, t.official, t.payer_id,
       t.move_in_date, t.move_out_date, s.prev_id, s.prev_at, s.prev_value, s.prev_est, s.billed,
       c.id AS cur_id, c.read_at AS cur_at, c.value_milli AS cur_value,
       CASE WHEN c.source = 'estimated' THEN 1 ELSE 0 END AS cur_est,
       COALESCE(w.qty, 0) AS qty, COALESCE(w.n, 0) AS n, COALESCE(w.any_est, 0) AS any_est,
       COALESCE(w.spike, 0) AS spike, COALESCE(w.final, 0) AS final, COALESCE(k.qty, 0) AS corr, k.est_at
FROM t_meter t
LEFT JOIN t_start s ON s.meter_id = t.meter_id
LEFT JOIN t_win w ON w.meter_id = t.meter_id
LEFT JOIN reading c ON c.compound_id = :c AND c.meter_id = w.meter_id AND c.read_at = w.cur_at
 AND c.superseded_by_id IS NULL
LEFT JOIN t_corr k ON k.meter_id = t.meter_id""",
        ),
        (
            "bills",
            f"""
CREATE TEMP TABLE t_bill AS
SELECT u.account_id, u.utility, u.class_id, u.official, u.payer_id,
       CAST(SUM(u.qty + u.corr) AS BIGINT) AS qty, MIN(u.prev_at) AS from_at, MAX(u.cur_at) AS to_at,
       CASE WHEN u.move_in_date IS NOT NULL AND u.move_in_date > :wstart THEN u.move_in_date ELSE :wstart END
         AS span_start,
       CASE WHEN u.move_out_date IS NOT NULL AND {d.plus_day("u.move_out_date")} < :wend
         THEN {d.plus_day("u.move_out_date")} ELSE :wend END AS span_end
FROM t_use u
WHERE u.n > 0 OR u.corr <> 0
GROUP BY u.account_id, u.utility, u.class_id, u.official, u.payer_id, u.move_in_date, u.move_out_date""",
        ),
        (
            "bills",
            f"""
CREATE TEMP TABLE t_bill2 AS
SELECT b.*, {greatest(d.days("b.span_start", "b.span_end"), "1")} AS days,
       (SELECT h.persons FROM household_size h
        WHERE h.compound_id = :c AND h.account_id = b.account_id AND h.from_date < b.span_end
        ORDER BY h.from_date DESC LIMIT 1) AS persons,
       CASE WHEN EXISTS (SELECT 1 FROM household_size h WHERE h.compound_id = :c AND h.account_id = b.account_id
                         AND h.from_date > b.span_start AND h.from_date < b.span_end) THEN 1 ELSE 0 END
         AS size_changed
FROM t_bill b""",
        ),
        ("", "CREATE INDEX t_bill2_k ON t_bill2 (account_id, utility)"),
    ]


def price(d: Dialect) -> list[tuple[str, str]]:
    """Split each bill by the tariff versions of its days, fill the blocks, and write one line per priced part."""
    split_end, split_start = rhu("p.qty * p.cend", "p.days"), rhu("p.qty * (p.cend - p.vdays)", "p.days")
    add = (
        "(CASE WHEN p.base_persons IS NOT NULL AND p.persons IS NOT NULL AND p.persons > p.base_persons "
        "THEN (p.persons - p.base_persons) * p.step_milli ELSE 0 END)"
    )

    def scaled(thr: str) -> str:
        # Yearly thresholds stand as published; monthly ones follow the days this part covers.
        return (
            f"(CASE WHEN p.basis = 'tariff_year' THEN {thr} + {add} "
            f"ELSE {rhu(f'({thr} + {add}) * p.vdays', ':wdays')} END)"
        )

    def fill(x: str) -> str:
        # Block 1 has no floor, so a negative quantity (an estimate corrected downwards) is credited at its price.
        return f"(CASE WHEN b.number = 1 THEN {least(x, 'b.hi')} ELSE {least(greatest(x, 'b.lo'), 'b.hi')} - b.lo END)"

    return [
        (
            "tariffs",
            f"""
CREATE TEMP TABLE t_part0 AS
SELECT b.account_id, b.utility, b.qty, b.days, b.persons, v.tariff_id, v.basis, v.year_start, v.min_milli,
       v.base_persons, v.step_milli, v.vfrom,
       {d.days(greatest("v.vfrom", "b.span_start"), least("v.vto", "b.span_end"))} AS vdays
FROM t_bill2 b
JOIN t_version v ON v.class_id = b.class_id AND v.utility = b.utility AND v.vfrom < b.span_end
 AND v.vto > b.span_start""",
        ),
        (
            "tariffs",
            """
CREATE TEMP TABLE t_part AS
SELECT p.*, CAST(SUM(p.vdays) OVER (PARTITION BY p.account_id, p.utility ORDER BY p.vfrom
                                    ROWS UNBOUNDED PRECEDING) AS BIGINT) AS cend
FROM t_part0 p""",
        ),
        (
            "tariffs",
            f"""
CREATE TEMP TABLE t_part2 AS
SELECT p.*, {split_end} - {split_start} AS q, {split_start} AS q_before,
       CASE WHEN p.basis = 'tariff_year' THEN COALESCE(
         (SELECT CAST(ROUND(SUM(x.quantity) * 1000) AS BIGINT) FROM bill x
          JOIN billing_period xp ON xp.compound_id = x.compound_id AND xp.id = x.period_id
          WHERE x.compound_id = :c AND x.account_id = p.account_id AND x.utility = p.utility
            AND xp.month >= p.year_start AND xp.month < :m), 0) ELSE 0 END AS cum_bills
FROM t_part p""",
        ),
        (
            "blocks",
            f"""
CREATE TEMP TABLE t_pb AS
SELECT p.account_id, p.utility, p.tariff_id, p.vdays, p.cend, p.q,
       CASE WHEN p.basis = 'tariff_year' THEN p.cum_bills + p.q_before ELSE 0 END AS x0,
       k.component, k.cname, k.cpos, k.number, k.price_e4,
       CASE WHEN k.number = 1 THEN 0 ELSE {scaled("k.lo")} END AS lo,
       CASE WHEN k.hi >= {INF_MILLI} THEN k.hi ELSE {scaled("k.hi")} END AS hi
FROM t_part2 p JOIN t_tblock k ON k.tariff_id = p.tariff_id""",
        ),
        (
            "blocks",
            f"""
INSERT INTO t_line (account_id, utility, position, kind, component, label, block, qty, price_e4, fen, tariff_id,
                    days)
SELECT x.account_id, x.utility, 100 + x.cend * 1000 + x.cpos * 20 + x.number, 'block', x.component, x.cname,
       x.number, x.bq, x.price_e4, {rhu("x.bq * x.price_e4", "100000")}, x.tariff_id, x.vdays
FROM (SELECT b.*, {fill("b.x0 + b.q")} - {fill("b.x0")} AS bq FROM t_pb b) x
WHERE x.bq <> 0""",
        ),
        (
            "blocks",
            f"""
INSERT INTO t_line (account_id, utility, position, kind, component, label, block, qty, price_e4, fen, tariff_id,
                    days)
SELECT x.account_id, x.utility, 100 + x.cend * 1000 + k.cpos * 20 + 15, 'minimum', k.component, k.cname, 1,
       x.short, k.price_e4, {rhu("x.short * k.price_e4", "100000")}, x.tariff_id, x.vdays
FROM (SELECT p.*, {rhu("p.min_milli * p.vdays", ":wdays")} - p.q AS short FROM t_part2 p
      WHERE p.min_milli IS NOT NULL) x
JOIN t_tblock k ON k.tariff_id = x.tariff_id AND k.number = 1
WHERE x.short > 0""",
        ),
        (
            "charges",
            f"""
INSERT INTO t_line (account_id, utility, position, kind, component, label, fen, tariff_id, days)
SELECT p.account_id, p.utility, 100 + p.cend * 1000 + 900, 'fixed', c.code, c.cname,
       {rhu("c.fen * p.vdays", ":wdays")}, p.tariff_id, p.vdays
FROM t_part2 p JOIN t_tcharge c ON c.tariff_id = p.tariff_id""",
        ),
        (
            "usage",
            """
INSERT INTO t_line (account_id, utility, position, kind, meter_id, prev_id, cur_id, prev_value, cur_value,
                    prev_est, cur_est, multiplier, qty, fen)
SELECT u.account_id, u.utility, 1, 'usage', u.meter_id, u.prev_id, u.cur_id, u.prev_value, u.cur_value,
       u.prev_est, u.cur_est, u.multiplier, u.qty, 0
FROM t_use u JOIN t_bill2 b ON b.account_id = u.account_id AND b.utility = u.utility
WHERE u.n > 0""",
        ),
        (
            "usage",
            """
INSERT INTO t_line (account_id, utility, position, kind, meter_id, prev_id, cur_value, prev_est, multiplier, qty,
                    fen)
SELECT u.account_id, u.utility, 2, 'correction', u.meter_id, u.prev_id, u.prev_value, 1, u.multiplier, u.corr, 0
FROM t_use u WHERE u.corr <> 0""",
        ),
    ]


def write(d: Dialect) -> list[tuple[str, str]]:
    """Replace the period's draft with the new one: bills from t_bill2, their lines from t_line."""
    q = d.num
    return [
        (
            "saving",
            """DELETE FROM bill_line WHERE compound_id = :c
                      AND bill_id IN (SELECT id FROM bill WHERE compound_id = :c AND period_id = :pid)""",
        ),
        ("saving", "DELETE FROM bill WHERE compound_id = :c AND period_id = :pid"),
        ("saving", "DELETE FROM bill_exception WHERE compound_id = :c AND period_id = :pid"),
        (
            "saving",
            f"""
INSERT INTO bill (compound_id, period_id, account_id, payer_id, utility, status, class_id, quantity, amount,
                  official_use, from_at, to_at)
SELECT :c, :pid, b.account_id, b.payer_id, b.utility, 'draft', b.class_id, {q("b.qty", 3)},
       {q("COALESCE(s.fen, 0)", 2)}, CASE WHEN b.official = 1 THEN TRUE ELSE FALSE END, b.from_at, b.to_at
FROM t_bill2 b
LEFT JOIN (SELECT account_id, utility, SUM(fen) AS fen FROM t_line GROUP BY account_id, utility) s
  ON s.account_id = b.account_id AND s.utility = b.utility""",
        ),
        (
            "saving",
            f"""
INSERT INTO bill_line (compound_id, bill_id, position, kind, component, label, block, meter_id,
                       previous_reading_id, current_reading_id, previous_value, current_value, previous_estimated,
                       current_estimated, multiplier, quantity, price, amount, tariff_id, days)
SELECT :c, b.id, l.position, l.kind, l.component, COALESCE(l.label, ''), l.block, l.meter_id, l.prev_id, l.cur_id,
       {q("l.prev_value", 3)}, {q("l.cur_value", 3)},
       CASE WHEN l.prev_est = 1 THEN TRUE ELSE FALSE END, CASE WHEN l.cur_est = 1 THEN TRUE ELSE FALSE END,
       l.multiplier, {q("l.qty", 3)}, {q("l.price_e4", 4)}, {q("l.fen", 2)}, l.tariff_id, l.days
FROM t_line l
JOIN bill b ON b.compound_id = :c AND b.period_id = :pid AND b.account_id = l.account_id AND b.utility = l.utility""",
        ),
    ]


def exceptions() -> list[tuple[str, str]]:
    """What a clerk should look at before issuing: one row per account, meter and reason."""
    head = "INSERT INTO bill_exception (compound_id, period_id, account_id, meter_id, utility, code, detail) "
    return [
        (
            "exceptions",
            head
            + """
SELECT :c, :pid, u.account_id, u.meter_id, u.utility, 'no_reading', '' FROM t_use u WHERE u.n = 0 AND u.corr = 0""",
        ),
        (
            "exceptions",
            head
            + """
SELECT :c, :pid, u.account_id, u.meter_id, u.utility, 'estimated', '' FROM t_use u WHERE u.any_est = 1""",
        ),
        (
            "exceptions",
            head
            + """
SELECT :c, :pid, u.account_id, u.meter_id, u.utility, 'estimate_corrected', '' FROM t_use u WHERE u.corr <> 0""",
        ),
        (
            "exceptions",
            head
            + """
SELECT :c, :pid, u.account_id, u.meter_id, u.utility, 'spike', '' FROM t_use u WHERE u.spike = 1""",
        ),
        (
            "exceptions",
            head
            + """
SELECT :c, :pid, u.account_id, u.meter_id, u.utility, 'replaced', '' FROM t_use u
WHERE u.final = 1 OR (u.replaces_id IS NOT NULL AND u.billed = 0)""",
        ),
        (
            "exceptions",
            head
            + """
SELECT :c, :pid, b.account_id, NULL, b.utility, 'moved', '' FROM t_bill2 b
WHERE b.span_start > :wstart OR b.span_end < :wend""",
        ),
        (
            "exceptions",
            head
            + """
SELECT :c, :pid, b.account_id, NULL, b.utility, 'household_size', '' FROM t_bill2 b WHERE b.size_changed = 1""",
        ),
        (
            "exceptions",
            head
            + """
SELECT :c, :pid, p.account_id, NULL, p.utility, 'tariff_change', '' FROM t_part p
GROUP BY p.account_id, p.utility HAVING COUNT(*) > 1""",
        ),
        (
            "exceptions",
            head
            + """
SELECT :c, :pid, b.account_id, NULL, b.utility, 'no_tariff', '' FROM t_bill2 b
LEFT JOIN (SELECT DISTINCT account_id, utility FROM t_part) p ON p.account_id = b.account_id AND p.utility = b.utility
WHERE p.account_id IS NULL""",
        ),
    ]
