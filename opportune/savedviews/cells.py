"""Inline editing in list cells: a lead's owner and status, a deal's stage, close date and
amount. A click on the cell fetches a one-field form; saving validates the value with the
API's schema (``LeadChanges``, ``OpportunityChanges``) and writes it through the same
service (``update_lead``, ``change_opportunity``), then the row re-renders; a refusal is
shown in the cell with focus on the field.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.contrib.auth.decorators import login_required
from django.db.models import Model
from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django_htmx.http import reswap, retarget
from pydantic import ValidationError

from opportune.customfields.columns import custom_columns
from opportune.errors import DomainError, NotAllowed
from opportune.identity import policy
from opportune.schemas import field_errors
from opportune.web.http import AuthedRequest


@dataclass(frozen=True)
class Cell:
    label: str
    input: str  # select, date, number


CELLS: dict[str, dict[str, Cell]] = {
    "leads": {"owner": Cell("Owner", "select"), "status": Cell("Status", "select")},
    "opportunities": {
        "stage": Cell("Stage", "select"),
        "close_date": Cell("Close date", "date"),
        "amount": Cell("Amount", "number"),
    },
}
ROWS = {
    "leads": "leads/lead_list.html#lead_row",
    "opportunities": "opportunities/opportunity_list.html#opp_row",
}


def _record(request: AuthedRequest, kind: str, pk: int) -> Model:
    if kind == "leads":
        from opportune.leads.models import Lead

        queryset: Any = Lead.objects.select_related("status", "owner")
    else:
        from opportune.opportunities.models import Opportunity

        queryset = Opportunity.objects.select_related("account", "owner", "stage", "pipeline")
    found: Model | None = queryset.visible_to(request.user).filter(pk=pk).first()
    if found is None:
        raise Http404("No such record.")
    return found


def _choices(kind: str, field: str, record: Any) -> list[tuple[str, str]]:
    if field == "owner":
        from opportune.identity.forms import owner_choices

        return [(str(value), label) for value, label in owner_choices(policy.LEAD)]
    if field == "status":
        from opportune.leads.forms import status_choices

        return status_choices()
    stages = record.pipeline.stages.filter(is_active=True).order_by("order", "pk")
    return [(stage.key, stage.label) for stage in stages]


def _current(kind: str, field: str, record: Any) -> str:
    if field == "owner":
        return str(record.owner_id or "")
    if field == "status":
        return str(record.status.key)
    if field == "stage":
        return str(record.stage.key)
    value = getattr(record, field)
    if isinstance(value, dt.date):
        return value.isoformat()
    return "" if value is None else str(value)


def _save(request: AuthedRequest, kind: str, field: str, record: Any, value: str) -> None:
    """Validate with the API's schema and write through the service (its errors propagate)."""
    if kind == "leads":
        from opportune.leads.schemas import LeadChanges
        from opportune.leads.services import update_lead

        if field == "owner":  # "" unassigns; anything but an id is the schema's to refuse
            data: dict[str, Any] = {"owner_id": int(value) if value.isdigit() else value or None}
        else:
            data = {field: value}
        update_lead(request.user, record, LeadChanges.model_validate(data))
        return
    from opportune.opportunities.schemas import OpportunityChanges
    from opportune.opportunities.services import change_opportunity

    changes = OpportunityChanges.model_validate({field: value or None})
    change_opportunity(request.user, record, changes.model_dump(exclude_unset=True))


def _row(request: AuthedRequest, kind: str, pk: int, status: int = 200) -> HttpResponse:
    record = _record(request, kind, pk)
    columns: list[str] = []
    if request.htmx and request.htmx.current_url:
        columns = parse_qs(urlsplit(request.htmx.current_url).query).get("columns", [])
    custom_kind = "lead" if kind == "leads" else "opportunity"
    context = {
        "bulk": policy.may_write(request.user),
        "lead" if kind == "leads" else "opp": record,
        **custom_columns(custom_kind, columns),
    }
    return TemplateResponse(request, ROWS[kind], context, status=status)


@login_required
def cell(request: AuthedRequest, kind: str, pk: int, field: str) -> HttpResponse:
    """GET: the cell's form (``?cancel=1``: the row as it was). POST: save, answer the row;
    a refusal answers the form again, in the cell, with the error (422)."""
    spec = CELLS.get(kind, {}).get(field)
    if spec is None:
        raise Http404("No such cell.")
    record = _record(request, kind, pk)
    if request.method == "GET" and request.GET.get("cancel"):
        return _row(request, kind, pk)
    errors: list[str] = []
    value = _current(kind, field, record)
    if request.method == "POST":
        value = str(request.POST.get("value", "")).strip()
        try:
            _save(request, kind, field, record, value)
        except ValidationError as exc:
            errors = [m for messages in field_errors(exc.errors()).values() for m in messages]
        except NotAllowed as exc:
            errors = [exc.detail]
        except DomainError as exc:
            errors = [m for messages in exc.errors.values() for m in messages] or [exc.detail]
        if not errors:
            return _row(request, kind, pk)
    elif not policy.may(request.user, policy.Verb.CHANGE, record):
        errors = [policy.refusal(request.user, policy.Verb.CHANGE, record) or "Not allowed."]
    context = {
        "spec": spec,
        "field": field,
        "value": value,
        "choices": _choices(kind, field, record) if spec.input == "select" else [],
        "errors": errors,
        "record": record,
        "url": reverse("savedviews:cell", args=[kind, pk, field]),
        "cell_id": f"cell-{kind}-{pk}-{field}",
    }
    response = TemplateResponse(
        request, "savedviews/cell_form.html", context, status=422 if errors else 200
    )
    # The form lives in the cell; the row swap is only for a success.
    return reswap(retarget(response, f"#{context['cell_id']}"), "innerHTML")
