"""The form kit every package's pages use: fields, a form as shown, reading what was typed, and refusals.

Every form is a list of fields shown by one template (form.html). A post is parsed into the service's own
pydantic schema and handed to the service; success is a 303 and a flash message (Post/Redirect/Get), a
refusal — by the schema or the service — the same form again, the values kept and the reason beside the
field it names (422). Forms that are not a list of fields (the round sheet, the meter page's forms) use the
parsers at the end.
"""

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, tzinfo
from enum import StrEnum
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from sqlmodel import Session
from starlette.datastructures import FormData

from compound.kit.clock import assume_local
from compound.kit.errors import AppError, InvalidInput
from compound.kit.i18n import gettext as _
from compound.kit.params import in_years
from compound.kit.web import flash, render

# A zone round sheet of a large living area posts three fields per meter.
MAX_FORM_FIELDS = 10_000


@dataclass
class FormField:
    """One input of a form. kind: text | tel | number | decimal | date | select | checkbox | search (a text input
    suggesting the options' labels as one types: for lists too long to pick from)."""

    name: str
    label: str
    kind: str = "text"
    required: bool = False
    options: list[tuple[str, str]] = field(default_factory=list)
    hint: str = ""
    maxlength: int | None = None
    empty: str | None = None  # what an empty input means on an edit: None clears it, "" for a text never null


@dataclass
class FormPage:
    """A form as shown: its fields, the values in them and, after a refused post, the reason."""

    title: str
    fields: list[FormField]
    action: str
    back: str
    back_label: str
    submit: str
    values: dict[str, str] = field(default_factory=dict)
    error: AppError | None = None
    links: list[tuple[str, str]] = field(default_factory=list)

    @property
    def names(self) -> set[str]:
        return {f.name for f in self.fields}


class FormProblem(InvalidInput):
    """A form value that cannot be read as what the field needs (nothing was written)."""


async def _form(request: Request) -> FormData:
    return await request.form(max_fields=MAX_FORM_FIELDS)


FormDep = Annotated[FormData, Depends(_form)]


def choices(values: Iterable[StrEnum], labels: dict[str, str]) -> list[tuple[str, str]]:
    """Select options for an enum, in the reader's language."""
    return [(v.value, _(labels.get(v.value, v.value))) for v in values]


def as_text(value: object) -> str:
    """A stored value as an input shows it."""
    if value is None or value is False:
        return ""
    if value is True:
        return "on"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(getattr(value, "value", value))


def row_values(row: object, fields: list[FormField]) -> dict[str, str]:
    return {f.name: as_text(getattr(row, f.name, None)) for f in fields}


def read_values(form: FormData, fields: list[FormField]) -> dict[str, str]:
    """What the form sent for each field, trimmed; a checkbox is 'on' or ''."""
    values = {}
    for f in fields:
        raw = form.get(f.name)
        if f.kind == "checkbox":
            values[f.name] = "on" if raw is not None else ""
        else:
            values[f.name] = raw.strip() if isinstance(raw, str) else ""
    return values


def _check_required(page: FormPage) -> None:
    for f in page.fields:
        if f.required and f.kind != "checkbox" and not page.values.get(f.name):
            raise FormProblem(_("This field is required."), field=f.name)


def _sent(f: FormField, text: str) -> object:
    return text == "on" if f.kind == "checkbox" else text


def parse_new(schema: type[BaseModel], page: FormPage, **fixed: object) -> Any:
    """A create schema from the form: empty fields are left out, so the schema's defaults apply."""
    _check_required(page)
    data = {f.name: _sent(f, page.values[f.name]) for f in page.fields if page.values[f.name] or f.kind == "checkbox"}
    return validate(schema, data | fixed)


def parse_changes(schema: type[BaseModel], page: FormPage, row: object) -> Any:
    """An update schema holding only what the form changed: an empty field clears an optional value, and
    an untouched one is not sent, so the service checks only what really changes."""
    _check_required(page)
    data = {
        f.name: _sent(f, page.values[f.name]) if f.kind == "checkbox" else page.values[f.name] or f.empty
        for f in page.fields
    }
    parsed = validate(schema, data)
    changed = {k: v for k, v in parsed.model_dump().items() if k in data and v != getattr(row, k, None)}
    return schema.model_validate(changed)


def validate(schema: type[BaseModel], data: dict[str, object]) -> Any:
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        raise problem_of(exc) from None


def problem_of(exc: ValidationError) -> FormProblem:
    """The first thing pydantic refused, in words a clerk understands, naming its field."""
    err = exc.errors()[0]
    loc = err.get("loc") or ()
    return FormProblem(clerk_message(err), field=str(loc[0]) if loc else "")


def clerk_message(err: Any) -> str:
    """One of pydantic's refusals in words a clerk understands, in the reader's language (pages and API alike)."""
    text, ctx, kind = str(err.get("input", "")), err.get("ctx") or {}, err.get("type", "")
    if kind in ("missing", "string_too_short"):
        return _("This field is required.")
    if kind in ("int_parsing", "int_from_float", "int_type"):
        return _("“%(text)s” is not a whole number.", text=text)
    if kind in ("decimal_parsing", "decimal_type", "float_parsing", "finite_number"):
        return _("“%(text)s” is not a number.", text=text)
    if kind.startswith("date"):
        return _("“%(text)s” is not a date (YYYY-MM-DD).", text=text)
    if kind == "string_too_long":
        return _("Too long: at most %(max)s characters.", max=ctx.get("max_length", ""))
    if kind == "greater_than":
        return _("Must be more than %(limit)s.", limit=ctx.get("gt", ""))
    if kind == "greater_than_equal":
        return _("Must be at least %(limit)s.", limit=ctx.get("ge", ""))
    if kind in ("less_than", "less_than_equal"):
        return _("Must be at most %(limit)s.", limit=ctx.get("le", ctx.get("lt", "")))
    if kind in ("decimal_max_places", "decimal_max_digits", "decimal_whole_digits"):
        return _("“%(text)s” has too many digits.", text=text)
    if kind in ("enum", "literal_error"):
        return _("Choose one of the options.")
    if kind == "string_pattern_mismatch":
        return _("Use letters, digits and . _ - / only, beginning with a letter or a digit.")
    if kind == "value_error" and "error" in ctx:
        return str(ctx["error"])
    if kind == "extra_forbidden":
        return _("There is no such field.")
    if kind == "json_invalid":
        return _("The request body is not valid JSON.")
    return str(err.get("msg", ""))


def show_form(request: Request, page: FormPage, compound: Any, *, status_code: int = 200) -> Response:
    return render(request, "form.html", {"form": page, "compound": compound}, status_code=status_code)


def submit(
    request: Request,
    session: Session,
    page: FormPage,
    compound: Any,
    save: Callable[[], tuple[str, str]],
) -> Response:
    """Run `save` (which returns the flash message and where to go); a refusal shows the form again.

    The refusal's 422 rolls the request back (UnitOfWorkRoute); the savepoint undoes at once what `save`
    flushed before it gave up, so the form is drawn from the register as it is.
    """
    try:
        with session.begin_nested():
            message, target = save()
    except AppError as exc:
        page.error = exc
        return show_form(request, page, compound, status_code=422)
    flash(request, message)
    return RedirectResponse(target, status_code=303)


def path(request: Request, name: str, **params: object) -> str:
    return str(request.app.url_path_for(name, **{k: str(v) for k, v in params.items()}))


def here(request: Request) -> str:
    """The page's own address: a form posts back to it."""
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


# Parsers for forms that are not a list of fields


# A date, and perhaps a time, as people and spreadsheets write them besides ISO: what a zh-CN Excel writes
# into a CSV (2026/12/1, 2026/12/01 9:00, 2026-12-1 9:05, 2026年12月1日, 2026年12月1日 9时5分), dots too.
_LOOSE = re.compile(
    r"(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:(?:\s*T\s*|\s+|(?<=日))(?P<H>\d{1,2})\s*[:时点]\s*(?P<M>\d{1,2})\s*分?"
    r"(?:\s*(?::|(?<=分))\s*(?P<S>\d{1,2})(?:\.(?P<f>\d{1,6}))?\s*秒?)?)?"
    r"\s*(?P<tz>Z|[+-]\d{2}:?\d{2})?"
)


def read_datetime(text: str) -> datetime | None:
    """The date and time a text names (naive unless it gives an offset; a date alone is its midnight), in any
    year; None when it names none. The one reader of typed and imported times."""
    s = unicodedata.normalize("NFKC", text).strip()  # full-width digits and colons, as a Chinese keyboard types
    try:
        return datetime.fromisoformat(s)
    except ValueError:
        pass
    if (m := _LOOSE.fullmatch(s)) is None:
        return None
    y, mo, d, hh, mm, ss, frac, offset = m.group("y", "m", "d", "H", "M", "S", "f", "tz")
    try:
        at = datetime(
            int(y), int(mo), int(d), int(hh or 0), int(mm or 0), int(ss or 0), int((frac or "0").ljust(6, "0"))
        )
        if offset:
            at = at.replace(tzinfo=datetime.fromisoformat(f"2000-01-01T00:00{offset}").tzinfo)
    except ValueError:
        return None
    return at


def read_date(text: str) -> date | None:
    """A date, written as read_datetime reads it (a time of 00:00 aside); None for anything else."""
    at = read_datetime(text)
    return at.date() if at is not None and at.tzinfo is None and at.time() == time() else None


def parse_datetime(text: str, *, tz: tzinfo, name: str) -> datetime:
    """A date and time as a datetime-local input sends it (or as read_datetime reads it), in the compound's local
    time."""
    if (at := read_datetime(text)) is None:
        raise FormProblem(_("“%(text)s” is not a date and time (YYYY-MM-DD HH:MM).", text=text), field=name)
    return _plausible(assume_local(at, tz), text, name)


def parse_date(text: str, *, name: str) -> date:
    if (day := read_date(text)) is None:
        raise FormProblem(_("“%(text)s” is not a date (YYYY-MM-DD).", text=text), field=name)
    return _plausible(day, text, name)


def _plausible(value: Any, text: str, name: str) -> Any:
    try:
        return in_years(value)
    except ValueError as exc:
        raise FormProblem(str(exc), field=name) from None


def parse_int(text: str, *, name: str) -> int | None:
    if not text.strip():
        return None
    try:
        return int(text.strip())
    except ValueError:
        raise FormProblem(_("“%(text)s” is not a whole number.", text=text), field=name) from None


def required(text: str, *, name: str, max_length: int | None = None) -> str:
    if not text.strip():
        raise FormProblem(_("This field is required."), field=name)
    return optional(text, name=name, max_length=max_length)


def optional(text: str, *, name: str, max_length: int | None = None) -> str:
    """The text trimmed, refused (naming the field) when longer than the API allows, as a schema would."""
    text = text.strip()
    if max_length is not None and len(text) > max_length:
        raise FormProblem(_("Too long: at most %(max)s characters.", max=max_length), field=name)
    return text
