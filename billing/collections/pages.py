"""Collection pages: the overview, today's calls and visits (the visits on a phone), letters to print as one batch
per building, the key-defaulter list with each level's collection rate, and the policies."""

from decimal import Decimal, InvalidOperation

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from billing.collections import defaulters, policies, tasks
from billing.collections.labels import TEMPLATE_HELPERS
from billing.collections.models import LETTERS, ActionKind, CollectionPolicy, ContactOutcome
from billing.payments.service import methods
from compound.auth.deps import PrincipalDep, Require
from compound.auth.permissions import Perm
from compound.jobs import service as job_runs
from compound.kit import clock, lookups
from compound.kit.errors import AppError
from compound.kit.forms import FormDep, FormProblem, parse_date, parse_int
from compound.kit.i18n import gettext as _
from compound.kit.params import IdPath, RefId
from compound.kit.unit_of_work import SessionDep, UnitOfWorkRoute
from compound.kit.web import flash, render
from compound.register.deps import CompoundDep
from compound.register.models import Building, Compound

router = APIRouter(include_in_schema=False, route_class=UnitOfWorkRoute)
VIEW = [Require(Perm.billing_view)]
EDIT = [Require(Perm.billing_edit)]
CALLS = (ActionKind.phone_call,)
VISITS = (ActionKind.home_visit,)


def _page(request: Request, template: str, compound: Compound, status_code: int = 200, **context: object) -> Response:
    return render(request, f"collections/{template}", {"compound": compound, "today": clock.today(compound),
                                                       **TEMPLATE_HELPERS, **context}, status_code=status_code)


@router.get("/c/{compound_id}/collections", name="collections_home", dependencies=VIEW)
def collections_home(request: Request, session: SessionDep, compound: CompoundDep) -> Response:
    last, _n = job_runs.list_runs(
        session, filter=job_runs.RunFilter(frozenset({compound.id}), everything=False, job="collections.run"), limit=5)
    return _page(request, "home.html", compound, counts=tasks.task_counts(session, compound_id=compound.id),
                 overview=defaulters.overview(session, compound_id=compound.id), runs=last)


def _decimal(text: str, name: str) -> Decimal | None:
    text = text.strip().replace(",", "")
    if not text:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        raise FormProblem(_("“%(text)s” is not an amount.", text=text), field=name) from None


def _tasks_page(request: Request, session, compound: Compound, kind: str, *, error: AppError | None = None,
                failed: int | None = None, values: dict | None = None, building_id: int | None = None) -> Response:
    kinds = VISITS if kind == ActionKind.home_visit else CALLS
    found = tasks.open_tasks(session, compound=compound, kinds=kinds, building_id=building_id)
    outcomes = tasks.OUTCOMES[ActionKind(kinds[0])]
    return _page(request, "tasks.html", compound, status_code=422 if error else 200, kind=kinds[0], tasks=found,
                 outcomes=outcomes, methods=methods(session), error=error, failed=failed, values=values or {},
                 buildings=sorted({(t.building_id, t.building) for t in found if t.building_id}, key=lambda b: b[1]),
                 building_id=building_id)


@router.get("/c/{compound_id}/collections/calls", name="collections_calls", dependencies=VIEW)
def calls_page(request: Request, session: SessionDep, compound: CompoundDep) -> Response:
    return _tasks_page(request, session, compound, ActionKind.phone_call)


@router.get("/c/{compound_id}/collections/visits", name="collections_visits", dependencies=VIEW)
def visits_page(request: Request, session: SessionDep, compound: CompoundDep, building_id: RefId = None) -> Response:
    return _tasks_page(request, session, compound, ActionKind.home_visit, building_id=building_id)


def _outcome(values: dict[str, str]) -> tasks.Outcome:
    try:
        outcome = ContactOutcome(values.get("outcome", ""))
    except ValueError:
        raise FormProblem(_("Choose one of the options."), field="outcome") from None
    promise_date = parse_date(values["promise_date"], name="promise_date") if values.get("promise_date") else None
    return tasks.Outcome(
        outcome=outcome, note=values.get("note", ""), promise_date=promise_date,
        promise_amount=_decimal(values.get("promise_amount", ""), "promise_amount"),
        paid_amount=_decimal(values.get("paid_amount", ""), "paid_amount"),
        paid_method=values.get("paid_method") or None,
    )


@router.post("/c/{compound_id}/collections/tasks/{action_id}/outcome", dependencies=EDIT)
def record_outcome(request: Request, session: SessionDep, compound: CompoundDep, principal: PrincipalDep,
                   action_id: IdPath, form: FormDep) -> Response:  # fmt: skip
    values = {k: v.strip() for k, v in form.items() if isinstance(v, str)}
    task = tasks.get_task(session, compound=compound, action_id=action_id)
    try:
        with session.begin_nested():  # a refusal undoes at once what was flushed (a payment); the 422 rolls back
            tasks.record_outcome(session, compound=compound, action_id=action_id, data=_outcome(values),
                                 by=principal.view.username)
    except AppError as exc:
        if task.action == ActionKind.key_defaulter:
            return _defaulters_page(request, session, compound, error=exc, failed=action_id, values=values)
        return _tasks_page(request, session, compound, task.action, error=exc, failed=action_id, values=values)
    flash(request, _("%(name)s: %(outcome)s — saved.", name=task.name,
                     outcome=TEMPLATE_HELPERS["outcome_label"](values.get("outcome"))))
    page = {ActionKind.home_visit: "visits", ActionKind.key_defaulter: "key-defaulters"}.get(task.action, "calls")
    return RedirectResponse(f"/c/{compound.id}/collections/{page}#task-{action_id}", status_code=303)


@router.get("/c/{compound_id}/collections/letters", name="collections_letters", dependencies=VIEW)
def letters_page(request: Request, session: SessionDep, compound: CompoundDep) -> Response:
    found = tasks.open_tasks(session, compound=compound, kinds=LETTERS, limit=100_000)
    batches: dict[tuple[str, int | None], list[tasks.Task]] = {}
    for t in found:
        batches.setdefault((t.action, t.building_id), []).append(t)
    return _page(request, "letters.html", compound, batches=batches)


@router.get("/c/{compound_id}/collections/letters/print", name="collections_letters_print", dependencies=VIEW)
def letters_print(request: Request, session: SessionDep, compound: CompoundDep, kind: str = ActionKind.written_notice,
                  building_id: RefId = None) -> Response:  # fmt: skip
    if kind not in LETTERS:
        kind = ActionKind.written_notice
    building = None
    if building_id is not None:
        building = lookups.get_or_raise(session, Building, compound_id=compound.id, id=building_id,
                                        message=_("No such building."), field="building_id")
    found = [t for t in tasks.open_tasks(session, compound=compound, kinds=(kind,), limit=100_000)
             if t.building_id == building_id]
    return _page(request, "letters_print.html", compound, kind=kind, letters=found, building=building)


@router.post("/c/{compound_id}/collections/letters/sent", dependencies=EDIT)
def letters_sent(request: Request, session: SessionDep, compound: CompoundDep, principal: PrincipalDep,
                 form: FormDep) -> Response:  # fmt: skip
    kind = str(form.get("kind", ""))
    try:
        building_id = parse_int(str(form.get("building_id", "")), name="building_id")
        n = tasks.mark_letters_sent(session, compound=compound, kind=kind, building_id=building_id,
                                    by=principal.view.username)
    except AppError as exc:
        flash(request, exc.message, "error")
        return RedirectResponse(f"/c/{compound.id}/collections/letters", status_code=303)
    flash(request, _("%(n)s letters marked as sent.", n=n))
    return RedirectResponse(f"/c/{compound.id}/collections/letters", status_code=303)


def _defaulters_page(request: Request, session, compound: Compound, *, error: AppError | None = None,
                     failed: int | None = None, values: dict | None = None) -> Response:
    today = clock.today(compound)
    return _page(request, "key_defaulters.html", compound, status_code=422 if error else 200,
                 defaulters=defaulters.key_defaulters(session, compound=compound),
                 rates=defaulters.collection_rates(session, compound=compound, today=today),
                 outcomes=tasks.OUTCOMES[ActionKind.key_defaulter], methods=methods(session), error=error,
                 failed=failed, values=values or {})


@router.get("/c/{compound_id}/collections/key-defaulters", name="collections_key_defaulters", dependencies=VIEW)
def key_defaulters_page(request: Request, session: SessionDep, compound: CompoundDep) -> Response:
    return _defaulters_page(request, session, compound)


def _policies_page(request: Request, session, compound: Compound, *, error: AppError | None = None,
                   failed: int | None = None, values: dict | None = None) -> Response:
    return _page(request, "policies.html", compound, status_code=422 if error else 200,
                 policies=policies.policies(session, compound_id=compound.id), kinds=list(ActionKind), error=error,
                 failed=failed, values=values or {}, max_levels=policies.MAX_LEVELS)


@router.get("/c/{compound_id}/collections/policies", name="collections_policies", dependencies=VIEW)
def policies_page(request: Request, session: SessionDep, compound: CompoundDep) -> Response:
    return _policies_page(request, session, compound)


def _specs(values: dict[str, str]) -> list[policies.LevelSpec]:
    specs = []
    for i in range(1, policies.MAX_LEVELS + 1):
        days, minimum, action = (values.get(f"days_{i}", ""), values.get(f"min_{i}", ""), values.get(f"action_{i}", ""))
        if not (days or minimum or action):
            continue
        n = len(specs) + 1
        d = parse_int(days, name=f"levels.{n}.days_overdue")
        m = _decimal(minimum, f"levels.{n}.min_balance")
        if d is None or m is None:
            raise FormProblem(_("Level %(n)s: fill in the days and the minimum balance.", n=n), field=f"levels.{n}")
        try:
            kind = ActionKind(action)
        except ValueError:
            raise FormProblem(_("Choose one of the options."), field=f"levels.{n}.action") from None
        if m != m.quantize(Decimal("0.01")):
            raise FormProblem(_("The amount has at most two decimals (yuan and fen)."), field=f"levels.{n}.min_balance")
        specs.append(policies.LevelSpec(d, int(m * 100), kind, values.get(f"assignee_{i}", "")[:100]))
    return specs


@router.post("/c/{compound_id}/collections/policies", dependencies=EDIT)
def make_default_policies(request: Request, session: SessionDep, compound: CompoundDep) -> Response:
    """The default policies (the first collection run makes them too), so they can be changed before it."""
    policies.ensure_policies(session, compound_id=compound.id)
    flash(request, _("The default policies are in place."))
    return RedirectResponse(f"/c/{compound.id}/collections/policies", status_code=303)


@router.post("/c/{compound_id}/collections/policies/{policy_id}", dependencies=EDIT)
def save_policy(request: Request, session: SessionDep, compound: CompoundDep, policy_id: IdPath,
                form: FormDep) -> Response:  # fmt: skip
    policy = lookups.get_or_raise(session, CollectionPolicy, compound_id=compound.id, id=policy_id,
                                  message=_("No such policy."), field="policy_id")
    values = {k: v.strip() for k, v in form.items() if isinstance(v, str)}
    try:
        ppm = parse_int(values.get("late_fee_ppm_per_day", "") or "0", name="late_fee_ppm_per_day") or 0
        with session.begin_nested():
            policies.save_policy(session, policy=policy, levels=_specs(values),
                                 late_fee_enabled=values.get("late_fee_enabled") == "on", late_fee_ppm_per_day=ppm)
    except AppError as exc:
        return _policies_page(request, session, compound, error=exc, failed=policy_id, values=values)
    flash(request, _("The policy is saved; the next collection run works from it."))
    return RedirectResponse(f"/c/{compound.id}/collections/policies", status_code=303)

