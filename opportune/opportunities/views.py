"""Opportunity pages: the pipeline kanban, the list, the opportunity page, moves and closing.

The stage rules live in ``services.py``; a move is ``change_opportunity(stage=...)`` and the
kanban only asks for it. The kanban's first render is one grouped query for every column's
count, total and weighted amount; the cards come later, column by column, 50 at a time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, QuerySet, Sum
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_POST
from django_htmx.http import reswap, retarget, trigger_client_event

from opportune.accounts.models import Contact
from opportune.activities.views import timeline_context
from opportune.errors import Conflict, DomainError
from opportune.fiscal import period_containing
from opportune.identity import policy
from opportune.identity.models import User
from opportune.savedviews.menu import default_view_redirect
from opportune.savedviews.views import list_actions
from opportune.web.http import AuthedRequest, go_to, render_page, visible_or_404, wants_fragment
from opportune.web.lists import list_context

from .deal_views import deal_context
from .filters import OpportunityFilterSet
from .forms import BoardFilterForm, CloseForm, MoveForm, OpportunityForm
from .models import ContactRole, Opportunity, OpportunityHistory, Pipeline, Stage
from .schemas import OpportunityChanges
from .services import change_opportunity, close_opportunity, undo_stage_change

CARDS_PER_LOAD = 50
PAGE_SIZE = 50


def _require_access(user: User) -> None:
    policy.require_kind(user, policy.OPPORTUNITY)


def _pipeline(key: str | None, pipelines: list[Pipeline] | None = None) -> Pipeline:
    """The pipeline with this key, or the default one; from ``pipelines`` when given."""
    if pipelines is None:
        pipelines = list(
            Pipeline.objects.filter(key=key) if key else Pipeline.objects.filter(is_default=True)
        )
    pipeline = next((p for p in pipelines if (p.key == key if key else p.is_default)), None)
    if pipeline is None:
        raise Http404("No such pipeline.")
    return pipeline


def close_date_range(period: str, today: dt.date) -> tuple[dt.date | None, dt.date | None]:
    """The close dates a board filter keeps: (first, last), either open-ended."""
    if period == "overdue":
        return None, today - dt.timedelta(days=1)
    if period == "this_month":
        month = period_containing(today, "month")
        return month.start, month.end
    if period in {"this_quarter", "next_quarter"}:
        quarter = period_containing(today, "quarter")
        quarter = quarter.next() if period == "next_quarter" else quarter
        return quarter.start, quarter.end
    if period == "this_year":
        year = period_containing(today, "year")
        return year.start, year.end
    return None, None


def board_queryset(user: User, pipeline: Pipeline, params: Any) -> QuerySet[Opportunity]:
    """The open opportunities of the board, filtered by the ``owner`` and ``period`` params."""
    opportunities = Opportunity.objects.visible_to(user).filter(pipeline=pipeline, is_closed=False)
    owner = params.get("owner", "")
    if owner == "me":
        opportunities = opportunities.filter(owner=user)
    elif owner.isdigit():
        opportunities = opportunities.filter(owner_id=int(owner))
    first, last = close_date_range(params.get("period", ""), timezone.localdate())
    if first:
        opportunities = opportunities.filter(close_date__gte=first)
    if last:
        opportunities = opportunities.filter(close_date__lte=last)
    return opportunities


def filter_query(request: AuthedRequest) -> str:
    """The board's filters as a query string, carried by every column load and move."""
    params = {k: str(request.GET.get(k, "")) for k in ("owner", "period")}
    return urlencode({k: v for k, v in params.items() if v})


@dataclass
class Column:
    stage: Stage
    count: int = 0
    total: Decimal = Decimal(0)
    weighted: Decimal = Decimal(0)


def board_columns(opportunities: QuerySet[Opportunity], stages: list[Stage]) -> list[Column]:
    """Count, total and weighted amount of every open stage: one grouped query."""
    rows = (
        opportunities.order_by()
        .values("stage_id")
        .annotate(count=Count("pk"), total=Sum("amount"), weighted=Sum("expected_revenue"))
    )
    totals = {row["stage_id"]: row for row in rows}
    columns = []
    for stage in stages:
        row: Any = totals.get(stage.pk, {})
        columns.append(
            Column(
                stage,
                row.get("count", 0),
                row.get("total") or Decimal(0),
                row.get("weighted") or Decimal(0),
            )
        )
    return columns


def _board_context(
    request: AuthedRequest, pipeline: Pipeline, pipelines: list[Pipeline] | None = None
) -> dict[str, Any]:
    form = BoardFilterForm(request.GET)
    stages = list(pipeline.stages.filter(is_active=True))
    open_stages = [s for s in stages if not s.is_closed]
    columns = board_columns(board_queryset(request.user, pipeline, request.GET), open_stages)
    return {
        "pipeline": pipeline,
        "pipelines": pipelines if pipelines is not None else list(Pipeline.objects.all()),
        "form": form,
        "columns": columns,
        "stages": stages,
        "won_stage": next((s for s in stages if s.is_closed and s.is_won), None),
        "lost_stage": next((s for s in stages if s.is_closed and not s.is_won), None),
        "filter_query": filter_query(request),
        "board_total": sum((c.total for c in columns), Decimal(0)),
        "board_weighted": sum((c.weighted for c in columns), Decimal(0)),
        "board_count": sum(c.count for c in columns),
    }


@login_required
def pipeline_board(request: AuthedRequest, key: str | None = None) -> HttpResponse:
    _require_access(request.user)
    pipelines = list(Pipeline.objects.all())
    context = _board_context(request, _pipeline(key, pipelines), pipelines)
    return render_page(request, "opportunities/pipeline.html", context, "board")


@login_required
def pipeline_column(request: AuthedRequest, key: str, stage: str) -> HttpResponse:
    """One column's cards, newest first, ``CARDS_PER_LOAD`` at a time (keyset on the id)."""
    _require_access(request.user)
    pipeline = _pipeline(key)
    stages = list(pipeline.stages.filter(is_active=True))
    column_stage = next((s for s in stages if s.key == stage and not s.is_closed), None)
    if column_stage is None:
        raise Http404("No such open stage.")
    cards = (
        board_queryset(request.user, pipeline, request.GET)
        .filter(stage=column_stage)
        .select_related("account", "owner", "win_score")
        .order_by("-pk")
    )
    before = request.GET.get("before", "")
    if before.isdigit():
        cards = cards.filter(pk__lt=int(before))
    rows = list(cards[: CARDS_PER_LOAD + 1])
    context = {
        "cards": rows[:CARDS_PER_LOAD],
        "more": len(rows) > CARDS_PER_LOAD,
        "stage": column_stage,
        "pipeline": pipeline,
        "stages": stages,
        "won_stage": next((s for s in stages if s.is_closed and s.is_won), None),
        "lost_stage": next((s for s in stages if s.is_closed and not s.is_won), None),
        "filter_query": filter_query(request),
        "today": timezone.localdate(),
    }
    return render_page(request, "opportunities/pipeline.html", context, "cards")


def _get(request: AuthedRequest, pk: int, verb: policy.Verb | None = None) -> Opportunity:
    _require_access(request.user)
    return visible_or_404(
        Opportunity.objects.select_related(
            "account", "owner", "stage", "pipeline", "primary_contact", "lost_reason", "win_score"
        ),
        request.user,
        pk,
        verb,
    )


def _dialog(request: AuthedRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    """A dialog answered to a move: into the shared dialog for htmx, as a page otherwise."""
    response = render_page(request, template, context, "dialog")
    if wants_fragment(request):
        response = retarget(response, "#dialog-content")
        response = reswap(response, "innerHTML")
    return response


def _closes_won(opportunity: Opportunity, stage_key: str | None) -> bool:
    if not stage_key:
        return False
    stage = opportunity.pipeline.stages.filter(key=stage_key, is_active=True).first()
    return stage is not None and stage.is_won and stage.pk != opportunity.stage_id


def _board_answer(
    request: AuthedRequest, opportunity: Opportunity, message: str, undo: int | None
) -> HttpResponse:
    """The moved card in its new column, fresh column heads and totals, and the toast.

    ``deal-moved`` (after the swap settles) tells kanban.js which card to focus and which
    history row the toast's Undo button may undo.
    """
    context = _board_context(request, opportunity.pipeline)
    context.update({"card": opportunity, "today": timezone.localdate()})
    response = render_page(request, "opportunities/pipeline.html", context, "moved")
    trigger_client_event(response, "close-dialog")
    detail: dict[str, Any] = {"card": f"deal-{opportunity.pk}", "message": message}
    if undo is not None:
        query = filter_query(request)
        detail["undo_url"] = reverse("opportunities:undo", args=[opportunity.pk]) + (
            f"?{query}" if query else ""
        )
        detail["history"] = undo
    return trigger_client_event(response, "deal-moved", detail, after="settle")


def _moved_message(opportunity: Opportunity) -> str:
    if opportunity.is_closed:
        return f"{opportunity.name} closed {'won' if opportunity.is_won else 'lost'}."
    return f"{opportunity.name} moved to {opportunity.stage.label}."


@login_required
@require_POST
def move(request: AuthedRequest, pk: int) -> HttpResponse:
    """Move an opportunity to a stage (kanban drop, the card's picker or Won/Lost buttons, the
    stage select without JavaScript, or the stage path).

    A lost stage without a reason is refused by the service; the refusal comes back as the
    dialog that asks for the reason, so the rule has one home. A won stage is confirmed
    first (``confirm=won``), with the amount and close date the win will be booked with.
    """
    opportunity = _get(request, pk, policy.Verb.CHANGE)
    form = MoveForm(request.POST)
    from_page = request.POST.get("from") == "detail"
    previous_stage = opportunity.stage_id
    dialog_context = {
        "opportunity": opportunity,
        "form": form,
        "from_page": from_page,
        "filter_query": filter_query(request),
    }
    if form.is_valid():
        assert isinstance(form.validated, OpportunityChanges)
        changes = form.validated.model_dump(exclude_unset=True)
        if _closes_won(opportunity, changes.get("stage")) and request.POST.get("confirm") != "won":
            won = MoveForm(
                initial={
                    "stage": changes["stage"],
                    "amount": opportunity.amount,
                    "close_date": timezone.localdate(),
                }
            )
            return _dialog(
                request, "opportunities/won_dialog.html", {**dialog_context, "form": won}
            )
        try:
            opportunity = change_opportunity(request.user, opportunity, changes)
        except DomainError as error:
            form.add_domain_error(error)
    if form.errors:
        if request.POST.get("confirm") == "won":
            return _dialog(request, "opportunities/won_dialog.html", dialog_context)
        # A move to lost sent without any reason is the question, not a mistake: the dialog
        # asks for the reason without an error; a reason sent and refused shows its error.
        asking = set(form.errors) == {"lost_reason"} and "lost_reason" not in request.POST
        if asking:
            del form.errors["lost_reason"]
        dialog_context["asking_reason"] = asking
        return _dialog(request, "opportunities/lost_dialog.html", dialog_context)
    if from_page or not wants_fragment(request):
        return go_to(request, reverse("opportunities:detail", args=[pk]))
    opportunity = _get(request, pk)
    undo = None
    if opportunity.stage_id != previous_stage:
        undo = (
            OpportunityHistory.objects.filter(opportunity=opportunity, changed_by=request.user)
            .order_by("-changed_at", "-pk")
            .values_list("pk", flat=True)
            .first()
        )
    return _board_answer(request, opportunity, _moved_message(opportunity), undo)


@login_required
@require_POST
def undo_move(request: AuthedRequest, pk: int) -> HttpResponse:
    """Undo a stage move or close made moments ago (the toast's Undo): ``undo_stage_change``
    decides whether it still may be undone."""
    opportunity = _get(request, pk, policy.Verb.CHANGE)
    board = reverse("opportunities:pipeline_for", args=[opportunity.pipeline.key])
    history = request.POST.get("history", "")
    try:
        if not history.isdigit():
            raise Conflict("There is no such move to undo.")
        opportunity = undo_stage_change(request.user, opportunity, int(history), timezone.now())
    except DomainError as error:
        if not wants_fragment(request):
            messages.error(request, error.detail)
            return go_to(request, board)
        response = reswap(HttpResponse(status=200), "none")
        return trigger_client_event(response, "toast", {"value": error.detail})
    opportunity = _get(request, pk)
    message = f"Undone: {opportunity.name} is back in {opportunity.stage.label}."
    if not wants_fragment(request):
        messages.success(request, message)
        return go_to(request, board)
    return _board_answer(request, opportunity, message, None)


@login_required
def opportunity_list(request: AuthedRequest) -> HttpResponse:
    _require_access(request.user)
    default = default_view_redirect(request.user, "opportunities", request.GET)
    if default is not None:
        return default
    opportunities = Opportunity.objects.visible_to(request.user).select_related(
        "account", "owner", "stage"
    )
    context, status = list_context(
        request,
        OpportunityFilterSet,
        opportunities,
        defaults={"state": "open"},
        shown=("q", "state", "owner"),
        page_size=PAGE_SIZE,
        kind="opportunities",
    )
    context.update(list_actions(request, "opportunities"))
    return render_page(request, "opportunities/opportunity_list.html", context, "results", status)


def _history(opportunity: Opportunity) -> list[dict[str, Any]]:
    """Stage history rows, each with how long the values it records lasted."""
    rows = list(
        OpportunityHistory.objects.filter(opportunity=opportunity)
        .select_related("stage", "changed_by")
        .order_by("changed_at", "pk")
    )
    now = timezone.now()
    result = []
    for index, row in enumerate(rows):
        until = rows[index + 1].changed_at if index + 1 < len(rows) else now
        result.append({"row": row, "days": (until - row.changed_at).days})
    result.reverse()
    return result


def _detail_context(
    request: AuthedRequest, opportunity: Opportunity, **extra: Any
) -> dict[str, Any]:
    stages = list(opportunity.pipeline.stages.filter(is_active=True))
    open_stages = [s for s in stages if not s.is_closed]
    current_order = opportunity.stage.order
    context: dict[str, Any] = {
        "opportunity": opportunity,
        "path": [
            {
                "stage": s,
                "complete": opportunity.is_closed or s.order < current_order,
                "current": s.pk == opportunity.stage_id,
            }
            for s in open_stages
        ],
        "history": _history(opportunity),
        "roles": list(
            ContactRole.objects.filter(opportunity=opportunity).select_related("contact")
        ),
        "may_edit": policy.may(request.user, policy.Verb.CHANGE, opportunity),
        "converted_from": list(opportunity.converted_leads.all()[:5]),
    }
    context.update(extra)
    return context


@login_required
def opportunity_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    opportunity = _get(request, pk)
    context = _detail_context(request, opportunity)
    context.update(timeline_context(request.user, opportunity=opportunity))
    context.update(deal_context(request.user, opportunity))  # roles and pipeline moves
    return render_page(request, "opportunities/opportunity_detail.html", context)


def _form_initial(opportunity: Opportunity) -> dict[str, Any]:
    names = [
        "name",
        "amount",
        "close_date",
        "probability",
        "forecast_category",
        "type",
        "next_step",
        "campaign",
        "description",
    ]
    initial = {name: getattr(opportunity, name) for name in names}
    initial["owner"] = opportunity.owner_id
    initial["primary_contact"] = opportunity.primary_contact_id
    initial["custom"] = opportunity.custom
    return initial


@login_required
def opportunity_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    opportunity = _get(request, pk, policy.Verb.CHANGE)
    contacts = list(
        Contact.objects.visible_to(request.user).filter(account=opportunity.account_id)[:200]
    )
    form = OpportunityForm(
        request.POST or None,
        initial=_form_initial(opportunity),
        contacts=contacts,
        closed=opportunity.is_closed,
    )
    if request.method == "POST" and form.is_valid():
        assert isinstance(form.validated, OpportunityChanges)
        try:
            change_opportunity(
                request.user, opportunity, form.validated.model_dump(exclude_unset=True)
            )
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, "Opportunity saved.")
            return go_to(request, reverse("opportunities:detail", args=[pk]))
    status = 422 if form.errors else 200
    context = {"opportunity": opportunity, "form": form}
    return render_page(request, "opportunities/opportunity_form.html", context, "form", status)


@login_required
def opportunity_close(request: AuthedRequest, pk: int) -> HttpResponse:
    """Close won or lost through ``close_opportunity``; lost asks for the reason."""
    opportunity = _get(request, pk, policy.Verb.CHANGE)
    form = CloseForm(request.POST or None, initial={"outcome": request.GET.get("outcome", "won")})
    if request.method == "POST" and form.is_valid():
        won = form.cleaned_data["outcome"] == "won"
        try:
            close_opportunity(
                request.user,
                opportunity,
                won=won,
                lost_reason_key=None if won else form.cleaned_data["lost_reason"] or None,
            )
        except DomainError as error:
            for field, errors in error.errors.items():
                for message in errors:
                    form.add_error(field if field in form.fields else None, message)
            if not error.errors:
                form.add_error(None, error.detail)
        else:
            messages.success(request, f"{opportunity.name} closed {'won' if won else 'lost'}.")
            return go_to(request, reverse("opportunities:detail", args=[pk]))
    status = 422 if form.errors else 200
    context = {"opportunity": opportunity, "form": form}
    return render_page(request, "opportunities/close_dialog.html", context, "dialog", status)
