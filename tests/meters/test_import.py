"""The readings import service: file reading, the same checks as single entry, all-or-nothing and partial."""

import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from meters.models import MeterStatus, Reading, ReadingSource
from meters.quantity import fmt
from meters.readings.import_format import ImportFileError, read_table, template_csv, template_xlsx
from meters.readings.importer import Checker, ImportRefused, import_file
from meters.readings.service import estimate_reading
from meters.readings.validation import MeterState, check
from tests.factories import add_reading, make_compound, make_meter

HEADER = "meter_serial,read_at,value,note\n"


def _csv(*lines: str, header: str = HEADER) -> bytes:
    return (header + "".join(line + "\n" for line in lines)).encode()


def _imported(session, meter) -> list[Reading]:
    q = sa.select(Reading).where(Reading.meter_id == meter.id, Reading.source == ReadingSource.import_.value)
    return list(session.execute(q.order_by(Reading.read_at)).scalars())


@pytest.fixture
def site(session, frozen_now):
    """A compound with two water meters, each read 30 days ago at 100."""
    c = make_compound(session)
    a = make_meter(session, compound=c, serial="W-001")
    b = make_meter(session, compound=c, serial="W-002")
    for m in (a, b):
        add_reading(session, compound=c, meter=m, value="100", at=frozen_now - timedelta(days=30))
    return c, a, b


def test_valid_rows_are_saved_with_consumption_in_the_compound_timezone(session, site):
    c, a, b = site
    report = import_file(
        session,
        compound=c,
        filename="r.csv",
        data=_csv("W-001,2026-10-31 08:00,110.5,kitchen", "W-002,2026-10-31T09:30:00,101,"),
    )
    assert (report.saved, report.refused, report.mode) == (2, 0, "all_or_nothing")
    [r] = _imported(session, a)
    assert r.read_at == datetime(2026, 10, 31, 0, 0, tzinfo=UTC)  # naive times are Asia/Shanghai
    assert (r.value_milli, r.consumption_milli, r.note) == (110_500, 10_500, "kitchen")
    assert r.period_seconds == int(
        (r.read_at - (datetime(2026, 11, 1, 9, tzinfo=UTC) - timedelta(days=30))).total_seconds()
    )
    assert _imported(session, b)[0].value_milli == 101_000


def test_one_refused_row_saves_nothing_and_is_reported(session, site):
    c, a, b = site
    with pytest.raises(ImportRefused) as e:
        import_file(session, compound=c, filename="r.csv", data=_csv("W-001,2026-10-31,110,", "W-002,2026-10-31,90,"))
    report = e.value.report
    assert report.saved == 0 and report.refused == 1
    [issue] = report.issues
    assert (issue.row, issue.serial, issue.code, issue.field) == (3, "W-002", "lower_than_previous", "value")
    assert "lower than the previous reading 100" in issue.message
    assert _imported(session, a) == [] and _imported(session, b) == []
    assert e.value.status_code == 422 and e.value.to_dict()["rows"][0]["row"] == 3


def test_partial_mode_keeps_valid_rows_and_reports_the_refused(session, site):
    c, a, b = site
    report = import_file(
        session,
        compound=c,
        filename="r.csv",
        partial=True,
        data=_csv("W-001,2026-10-31,110,", "W-002,2026-10-31,90,", "W-404,2026-10-31,5,"),
    )
    assert (report.mode, report.total, report.saved, report.refused) == ("partial", 3, 1, 2)
    assert [(i.row, i.code) for i in report.issues] == [(3, "lower_than_previous"), (4, "unknown_meter")]
    assert [r.value_milli for r in _imported(session, a)] == [110_000]
    assert _imported(session, b) == []
    assert "1 of 3 rows saved" in report.summary()


def test_partial_mode_with_no_valid_row_refuses(session, site):
    c, a, b = site
    with pytest.raises(ImportRefused) as e:
        import_file(session, compound=c, filename="r.csv", partial=True, data=_csv("W-002,2026-10-31,90,"))
    assert e.value.report.saved == 0 and e.value.report.mode == "partial"


def test_rows_of_one_meter_are_checked_in_time_order_against_each_other(session, site):
    c, a, b = site
    report = import_file(
        session,
        compound=c,
        filename="r.csv",
        partial=True,
        data=_csv(
            "W-001,2026-10-25,130,",  # later in time, earlier in the file
            "W-001,2026-10-10,120,",
            "W-002,2026-10-10,150,",
            "W-002,2026-10-20,140,",  # lower than the file's own earlier reading
        ),
    )
    assert [r.consumption_milli for r in _imported(session, a)] == [20_000, 10_000]
    assert [r.value_milli for r in _imported(session, b)] == [150_000]
    [issue] = report.issues
    assert (issue.row, issue.code) == (5, "lower_than_previous") and "150" in issue.message


def test_the_same_meter_twice_at_one_time_is_a_duplicate_of_the_files_own_row(session, site):
    c, a, _ = site
    with pytest.raises(ImportRefused) as e:
        import_file(
            session,
            compound=c,
            filename="r.csv",
            data=_csv("W-001,2026-10-31 08:00,110,", "W-001,2026-10-31 08:00,111,"),
        )
    [issue] = e.value.report.issues
    assert (issue.row, issue.code, issue.field) == (3, "duplicate_in_file", "value")
    # All-or-nothing saved nothing: not "already entered", but which row of the file it repeats.
    assert issue.message == "Repeats row 2 of this file, which already gives this meter 110 at 2026-10-31 08:00."


def test_the_same_value_again_within_a_day_is_a_duplicate(session, site):
    """The last reading: 100 on 2026-10-02 17:00 (Shanghai); 100 again two hours later is the same reading twice."""
    c, a, b = site
    with pytest.raises(ImportRefused) as e:
        import_file(
            session, compound=c, filename="r.csv", data=_csv("W-001,2026-10-02 19:00,100,", "W-002,2026-10-31,101,")
        )
    assert [(i.row, i.code) for i in e.value.report.issues] == [(2, "duplicate")]


def test_a_row_half_an_hour_before_the_last_reading_is_refused(session, site):
    c, a, b = site
    with pytest.raises(ImportRefused) as e:
        import_file(
            session, compound=c, filename="r.csv", data=_csv("W-001,2026-10-02 16:30,101,", "W-002,2026-10-31,101,")
        )
    assert [(i.row, i.code) for i in e.value.report.issues] == [(2, "before_last")]


def test_unknown_serial_and_another_compounds_meter_are_unknown(session, site):
    c, a, _ = site
    other = make_compound(session)
    make_meter(session, compound=other, serial="X-9")
    with pytest.raises(ImportRefused) as e:
        import_file(session, compound=c, filename="r.csv", data=_csv("W-404,2026-10-31,1,", "X-9,2026-10-31,1,"))
    issues = e.value.report.issues
    assert [(i.row, i.code, i.field) for i in issues] == [
        (2, "unknown_meter", "meter_serial"),
        (3, "unknown_meter", "meter_serial"),
    ]
    assert "W-404" in issues[0].message


def test_a_removed_meter_takes_no_reading_from_a_file(session, site):
    c, a, _ = site
    a.status, a.removed_date = MeterStatus.removed, date(2026, 10, 15)
    session.flush()
    with pytest.raises(ImportRefused) as e:
        import_file(session, compound=c, filename="r.csv", data=_csv("W-001,2026-10-31,110,"))
    [issue] = e.value.report.issues
    assert (issue.code, issue.field) == ("meter_removed", "meter_serial") and "2026-10-15" in issue.message


def test_bad_or_missing_date_is_reported_naming_read_at(session, site):
    c, _, _ = site
    with pytest.raises(ImportRefused) as e:
        import_file(
            session, compound=c, filename="r.csv", data=_csv("W-001,31.10.2026,110,", "W-002,,110,", ",2026-10-31,1,")
        )
    issues = e.value.report.issues
    assert [(i.row, i.code, i.field) for i in issues] == [
        (2, "bad_read_at", "read_at"),
        (3, "missing_read_at", "read_at"),
        (4, "missing_serial", "meter_serial"),
    ]
    assert "31.10.2026" in issues[0].message and "read_at" in issues[0].message


def test_bad_values_get_the_single_entry_messages(session, site):
    c, _, _ = site
    with pytest.raises(ImportRefused) as e:
        import_file(
            session,
            compound=c,
            filename="r.csv",
            data=_csv("W-001,2026-10-31,abc,", "W-002,2026-10-31,,", "W-001,2026-12-31,120,"),
        )
    assert [(i.row, i.code) for i in e.value.report.issues] == [
        (2, "not_a_number"),
        (3, "missing_value"),
        (4, "future"),
    ]


@pytest.mark.parametrize("missing", ["meter_serial", "read_at", "value"])
def test_a_missing_column_refuses_the_file_naming_it(session, site, missing):
    c, _, _ = site
    header = ",".join(col for col in ("meter_serial", "read_at", "value", "note") if col != missing) + "\n"
    with pytest.raises(ImportFileError) as e:
        import_file(session, compound=c, filename="r.csv", data=_csv("W-001,2026-10-31,110", header=header))
    assert e.value.field == missing and missing in e.value.message


def test_chinese_headers_in_any_order_and_gbk_encoding(session, site):
    c, a, _ = site
    data = "备注,读数,抄表时间,表号\n二楼,110,2026-10-31 08:00,W-001\n".encode("gb18030")
    report = import_file(session, compound=c, filename="抄表.csv", data=data)
    assert report.saved == 1
    [r] = _imported(session, a)
    assert (r.value_milli, r.note) == (110_000, "二楼")


def test_header_names_are_case_insensitive_and_blank_lines_keep_file_row_numbers(session, site):
    c, _, _ = site
    with pytest.raises(ImportRefused) as e:
        import_file(
            session,
            compound=c,
            filename="r.csv",
            data=_csv(
                "W-001,2026-10-31,110,", ",,,", "", "W-002,2026-10-31,50,", header="Meter_Serial,READ_AT,Value,Note\n"
            ),
        )
    assert [(i.row, i.code) for i in e.value.report.issues] == [(5, "lower_than_previous")]
    assert e.value.report.total == 2


def _xlsx(rows: list[list[object]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_xlsx_with_real_datetimes_numbers_and_excel_serial_dates(session, site):
    c, a, b = site
    data = _xlsx(
        [
            ["meter_serial", "read_at", "value", "note"],
            ["W-001", datetime(2026, 10, 31, 8, 0), 110.5, None],
            ["W-002", 46326.5, 120, "serial date"],  # 2026-10-31 12:00 as Excel counts days
            [None, None, None, None],
        ]
    )
    report = import_file(session, compound=c, filename="readings.xlsx", data=data)
    assert report.saved == 2
    ra, rb = _imported(session, a)[0], _imported(session, b)[0]
    assert (ra.read_at, ra.value_milli) == (datetime(2026, 10, 31, 0, 0, tzinfo=UTC), 110_500)
    assert (rb.read_at, rb.value_milli, rb.note) == (datetime(2026, 10, 31, 4, 0, tzinfo=UTC), 120_000, "serial date")


def test_xlsx_refusals_report_the_sheet_row(session, site):
    c, _, _ = site
    data = _xlsx([["表号", "抄表时间", "读数"], ["W-001", datetime(2026, 10, 31), 99.25]])
    with pytest.raises(ImportRefused) as e:
        import_file(session, compound=c, filename="r.xlsx", data=data)
    assert [(i.row, i.code) for i in e.value.report.issues] == [(2, "lower_than_previous")]


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("r.xlsx", b"not a zip at all", "Excel"),
        ("r.xls", b"\xd0\xcf\x11\xe0", ".xlsx"),
        ("r.pdf", b"%PDF-1.4", ".csv"),
        ("r.csv", b"", "empty"),
        ("r.csv", HEADER.encode(), "no readings"),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(session, site, name, data, words):
    c, _, _ = site
    with pytest.raises(ImportFileError) as e:
        import_file(session, compound=c, filename=name, data=data)
    assert words in e.value.message and e.value.status_code == 422


def test_a_spike_needs_confirmation_so_a_file_cannot_save_it(session, frozen_now):
    c = make_compound(session)
    m = make_meter(session, compound=c, serial="S-1")
    ok = make_meter(session, compound=c, serial="S-2")
    for k, v in enumerate(("100", "110", "120")):
        add_reading(session, compound=c, meter=m, value=v, at=frozen_now - timedelta(days=90 - 30 * k))
    add_reading(session, compound=c, meter=ok, value="5", at=frozen_now - timedelta(days=30))
    data = _csv("S-1,2026-11-01 08:00,300,", "S-2,2026-11-01 08:00,6,")
    with pytest.raises(ImportRefused):
        import_file(session, compound=c, filename="r.csv", data=data)
    report = import_file(session, compound=c, filename="r.csv", data=data, partial=True)
    [issue] = report.issues
    assert (issue.row, issue.code, issue.needs_confirmation) == (2, "spike", True)
    assert "cannot confirm" in issue.message and "round sheet" in issue.message
    assert _imported(session, m) == [] and report.saved == 1


def test_a_real_reading_supersedes_the_meters_estimates(session, frozen_now):
    c = make_compound(session)
    m = make_meter(session, compound=c, serial="E-1")
    for k, v in enumerate(("100", "130", "160")):  # the last on 2026-09-02: October may be estimated
        add_reading(session, compound=c, meter=m, value=v, at=frozen_now - timedelta(days=120 - 30 * k))
    estimate = estimate_reading(session, compound=c, meter=m, at=frozen_now - timedelta(days=10))
    import_file(session, compound=c, filename="r.csv", data=_csv("E-1,2026-10-25,170,", "E-1,2026-11-01,185,"))
    first = _imported(session, m)[0]
    session.refresh(estimate)
    assert estimate.superseded_by_id == first.id


def test_templates_have_the_header_and_import_as_empty(session, site):
    c, _, _ = site
    assert template_csv().decode("utf-8-sig").strip() == "meter_serial,read_at,value,note"
    for name, data in (("t.csv", template_csv()), ("t.xlsx", template_xlsx())):
        assert read_table(data, name) == []
        with pytest.raises(ImportFileError):
            import_file(session, compound=c, filename=name, data=data)


def test_progress_is_reported_for_each_stage(session, site):
    c, _, _ = site
    seen = []
    import_file(
        session,
        compound=c,
        filename="r.csv",
        data=_csv("W-001,2026-10-31,110,"),
        progress=lambda stage, done, total: seen.append((stage, done, total)),
    )
    assert [s for s, _, _ in seen] == ["read", "check", "save"] and seen[-1] == ("save", 1, 1)


# --- the fast path applies check()'s rules ----------------------------------------------------------------

NOW = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
PLAIN_OR_NOT = st.one_of(
    st.integers(0, 10**9).map(str),
    st.tuples(st.integers(0, 10**8), st.integers(0, 999), st.integers(1, 3)).map(
        lambda t: f"{t[0]}.{str(t[1]).zfill(3)[: t[2]]}"
    ),
    st.sampled_from(
        [
            "",
            " ",
            " 12",
            "1,234.5",
            "-1",
            "-0",
            "abc",
            "1e3",
            "12.3456",
            "007.50",
            "1.",
            "+5",
            "NaN",
            "１２",
            "1.000",
            "99999.999",
            "100000",
        ]
    ),
)
STATES = st.builds(
    MeterState,
    serial=st.just("M1"),
    dials=st.integers(1, 8),
    multiplier=st.sampled_from([1, 1, 40, 200]),
    removed_on=st.sampled_from([None, None, None, "2026-01-01"]),
    last_value=st.one_of(st.none(), st.integers(0, 10**8 * 1000)),
    last_at=st.one_of(st.none(), st.integers(-400, 0).map(lambda d: NOW + timedelta(days=d))),
    avg_daily=st.one_of(
        st.none(), st.just(Decimal(0)), st.decimals(min_value=0, max_value=10**7, places=3, allow_nan=False)
    ),
)
TIMES = st.one_of(
    st.integers(-400 * 86400, 86400).map(lambda s: NOW + timedelta(seconds=s)),
    st.sampled_from([NOW, NOW + timedelta(minutes=10), NOW + timedelta(minutes=11)]),
)


# How a row's value and time may relate to the meter's last reading: the duplicate rule's cases (the same value
# again, at the same time, within the day) are drawn often, not left to chance.
SAME_VALUE = st.sampled_from([None, None, "{}", "{}.0", "{}.000", " {} "])
NEAR = st.one_of(
    st.none(),
    st.sampled_from([0, 1, 3600, 86399, 86400, 86401, -1]),
    st.integers(-2 * 86400, 2 * 86400),
)


@settings(max_examples=800, suppress_health_check=[HealthCheck.too_slow])
@given(state=STATES, raw=PLAIN_OR_NOT, at=TIMES, same_time=st.booleans(), same_value=SAME_VALUE, near=NEAR)
def test_fast_path_agrees_with_check_on_random_rows(state, raw, at, same_time, same_value, near):
    if same_value and state.last_value is not None:
        raw = same_value.format(fmt(state.last_value))  # the last reading's value again, as a clerk may write it
    if state.last_at is not None and near is not None:
        at = state.last_at + timedelta(seconds=near)
    if same_time and state.last_at is not None:
        at = state.last_at  # the duplicate rule
    spike = Decimal(3)
    checker = Checker(now=NOW, spike_factor=spike, tz=UTC)
    v = check(state, raw, at, now=NOW, spike_factor=spike, tz=UTC)
    fast = checker.fast(state, raw, at, state.last_value, state.last_at)
    if fast is not None:
        assert not v.problems and fast == (v.value, v.consumption, v.period_seconds)
    elif raw.isascii() and raw.replace(".", "", 1).isdigit() and raw[0] != "." and raw[-1] != "." and len(raw) < 19:
        assert v.problems  # a plain number the fast path declines is one check() finds a problem in
    ok, problems = checker.verdict(state, raw, at)
    assert [p.code for p in problems] == [p.code for p in v.problems]
    assert ok == (None if v.problems else (v.value, v.consumption, v.period_seconds))


@pytest.mark.parametrize(("value", "spike"), [("130", False), ("130.001", True), ("100", False), ("99.999", None)])
def test_fast_path_and_check_agree_at_the_spike_threshold(value, spike):
    # 1 a day for 10 days is 10 expected; 3 × 10 = 30 is still fine, 30.001 is a spike.
    state = MeterState(
        serial="M1",
        dials=6,
        multiplier=1,
        last_value=100_000,
        last_at=NOW - timedelta(days=10),
        avg_daily=Decimal(1000),
    )
    checker = Checker(now=NOW, spike_factor=Decimal(3), tz=UTC)
    v = check(state, value, NOW, now=NOW, spike_factor=Decimal(3), tz=UTC)
    fast = checker.fast(state, value, NOW, state.last_value, state.last_at)
    assert ("spike" in [p.code for p in v.problems]) is bool(spike)
    if spike is False:
        assert fast == (v.value, v.consumption, v.period_seconds)
    else:
        assert fast is None and v.problems
