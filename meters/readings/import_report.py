"""An import's report for people: each row's result and problem as a sentence in the reader's language, as a
table the page shows and the CSV or Excel file (through compound.kit.export) that the page and the CLI give.
"""

from collections.abc import Iterator
from typing import Any

from compound.kit.export import csv_text, xlsx_bytes
from compound.kit.i18n import N_
from compound.kit.i18n import gettext as _
from meters.quantity import fmt
from meters.readings import importer
from meters.readings.importer import ImportReport
from meters.readings.validation import Code, show_time

# Each code's problem in a few words; the row's message gives the particulars.
PROBLEMS: dict[str, str] = {
    Code.missing_value: N_("No reading given"),
    Code.not_a_number: N_("The reading is not a number"),
    Code.negative: N_("A negative reading"),
    Code.too_many_decimals: N_("More than three decimal places"),
    Code.too_many_digits: N_("More digits than the meter has dials"),
    Code.meter_removed: N_("The meter was removed"),
    Code.unknown_meter: N_("No such meter in this compound"),
    Code.future: N_("The reading time is in the future"),
    Code.before_last: N_("The reading time is before the meter's last reading"),
    Code.duplicate: N_("The meter already has this reading"),
    Code.lower_than_previous: N_("Lower than the previous reading"),
    Code.rollover_not_lower: N_("A rollover, but not lower than the previous reading"),
    Code.spike: N_("Far above the meter's usual use: needs confirming on the round sheet"),
    importer.MISSING_SERIAL: N_("No meter serial given"),
    importer.MISSING_READ_AT: N_("No reading time given"),
    importer.BAD_READ_AT: N_("The reading time cannot be read"),
    importer.READ_AT_OUT_OF_RANGE: N_("The reading time is outside the years people mean"),
    importer.NOTE_TOO_LONG: N_("The note is too long"),
    importer.DUPLICATE_IN_FILE: N_("Repeats an earlier row of this file"),
}
SAVED, ALREADY, REFUSED, CONFIRM = N_("saved"), N_("saved before"), N_("not saved"), N_("not saved: needs confirming")
# More rows than this and the page offers no download (it would carry megabytes): the CLI's --report has them all.
DOWNLOAD_MAX_ROWS = 20_000


def problem(code: str) -> str:
    """The code's problem in words, in the reader's language (the code itself when it has none)."""
    return _(PROBLEMS[code]) if code in PROBLEMS else code


def header() -> list[str]:
    return [
        _("Row"),
        _("Meter serial"),
        _("Result"),
        _("Reading time"),
        _("Reading"),
        _("Problem"),
        _("Reason"),
        "code",
    ]


def rows(report: ImportReport) -> Iterator[list[Any]]:
    """Every row of the file the report speaks of, in file order: the saved, those saved before, the refused."""
    tz = report.tz
    lines = [
        [r.row, r.serial, _(ALREADY if r.already else SAVED), show_time(r.read_at, tz), fmt(r.value_milli), "", "", ""]
        for r in report.saved_rows()
    ]
    lines += [
        [i.row, i.serial, _(CONFIRM if i.needs_confirmation else REFUSED), "", "", problem(i.code), i.message, i.code]
        for i in report.issues
    ]
    lines.sort(key=lambda line: line[0])  # stable: a row's several problems stay in order
    return iter(lines)


def as_csv(report: ImportReport) -> bytes:
    return csv_text(header(), rows(report)).encode("utf-8")


def as_xlsx(report: ImportReport) -> bytes:
    return xlsx_bytes(header(), rows(report), sheet="import")
