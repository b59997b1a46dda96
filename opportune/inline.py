"""Inline editing of one field on a record page (lead, account, contact, opportunity): one
view and one partial for every kind, saved through the kind's own edit form (its
``SchemaForm``, so the same pydantic schema) and the same service as the full edit page.

It sits above the sales apps, like housekeeping.py, so that none of them imports another
for it and the web app keeps importing none of them. The record pages mark a field row
editable with ``{% inline_edit record "field" %}`` (web/templatetags/inline.py), which asks
the policy, so a user who may not change the record sees no edit button; the view asks it
again (a 403) whatever the page showed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.contrib.humanize.templatetags.humanize import intcomma
from django.db.models import Model, QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.dateformat import format as date_format
from pydantic import BaseModel

from opportune.accounts.forms import AccountForm, ContactForm
from opportune.accounts.models import Account, Contact
from opportune.accounts.services import save_account, save_contact
from opportune.errors import DomainError
from opportune.identity import policy
from opportune.identity.models import User
from opportune.leads.forms import LeadForm
from opportune.leads.models import Lead
from opportune.leads.services import update_lead
from opportune.opportunities.forms import OpportunityForm
from opportune.opportunities.models import Opportunity
from opportune.opportunities.services import change_opportunity
from opportune.web.forms import SchemaForm
from opportune.web.http import AuthedRequest, visible_or_404
from opportune.web.templatetags.opportune import money

Save = Callable[[User, Any, BaseModel], Any]


@dataclass(frozen=True)
class InlineKind:
    model: type[Model]
    form: Callable[..., SchemaForm]
    save: Save
    # The fields a record page offers to edit in place: plain values shown as they are
    # (addresses, owners and links to other records keep the full edit form).
    fields: frozenset[str]
    money: frozenset[str] = field(default_factory=frozenset)

    def queryset(self) -> QuerySet[Any]:
        return self.model._default_manager.all()


def _save_opportunity(user: User, record: Opportunity, changes: BaseModel) -> Opportunity:
    return change_opportunity(user, record, changes.model_dump(exclude_unset=True))


KINDS: dict[str, InlineKind] = {
    "lead": InlineKind(
        Lead,
        LeadForm,
        lambda user, record, changes: update_lead(user, record, changes),  # type: ignore[arg-type]
        frozenset(
            {"title", "email", "phone", "company", "website", "industry", "annual_revenue"}
            | {"employees", "source", "campaign"}
        ),
        frozenset({"annual_revenue"}),
    ),
    "account": InlineKind(
        Account,
        AccountForm,
        lambda user, record, changes: save_account(user, changes, record),  # type: ignore[arg-type]
        frozenset({"phone", "annual_revenue", "employees"}),
        frozenset({"annual_revenue"}),
    ),
    "contact": InlineKind(
        Contact,
        lambda *args, **kwargs: ContactForm(*args, accounts=[], **kwargs),
        lambda user, record, changes: save_contact(user, changes, record),  # type: ignore[arg-type]
        frozenset({"email", "phone", "lead_source"}),
    ),
    "opportunity": InlineKind(
        Opportunity,
        OpportunityForm,
        _save_opportunity,
        frozenset({"amount", "close_date", "type", "lead_source", "campaign", "next_step"}),
        frozenset({"amount"}),
    ),
}


def editable(user: User, record: Model) -> bool:
    """Whether the user may change the record now (a converted lead is read-only)."""
    return not getattr(record, "is_converted", False) and policy.may(
        user, policy.Verb.CHANGE, record
    )


def display(spec: InlineKind, record: Model, name: str) -> str:
    """The field's value as the record pages show it."""
    value = getattr(record, name)
    if value is None or value == "":
        return "—"
    choices = getattr(record, f"get_{name}_display", None)
    if choices is not None:
        return str(choices())
    if name in spec.money and isinstance(value, Decimal | int):
        return money(value)
    if isinstance(value, dt.date):
        return date_format(value, "M j, Y")
    if isinstance(value, int):
        return str(intcomma(value))
    return str(value)


def _one_field_form(spec: InlineKind, record: Model, name: str, data: Any) -> SchemaForm:
    """The kind's own edit form, reduced to the one field (a partial change)."""
    form = spec.form(data, initial={name: getattr(record, name)}, prefix="inline")
    for other in list(form.fields):
        if other != name:
            del form.fields[other]
    form.fields[name].widget.attrs["autofocus"] = True
    return form


@login_required
def edit_field(request: AuthedRequest, kind: str, pk: int) -> HttpResponse:
    """GET: the field's form (``?show=1``: its value again, on cancel); POST: save it and
    answer its value, or the form with the error at the field (422)."""
    spec = KINDS.get(kind)
    if spec is None:
        raise Http404("No such kind of record.")
    record = visible_or_404(spec.queryset(), request.user, pk)
    name = request.GET.get("field", "")
    if name not in spec.fields:
        return HttpResponse("This field is not edited in place.", status=400)
    if not editable(request.user, record):
        policy.require(request.user, policy.Verb.CHANGE, record)  # the policy's 403
        return HttpResponse("This record is read-only.", status=409)
    context: dict[str, Any] = {"kind": kind, "record": record, "name": name}
    if request.method == "GET" and request.GET.get("show"):
        return _value(request, spec, context)
    form = _one_field_form(spec, record, name, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        assert form.validated is not None
        try:
            spec.save(request.user, record, form.validated)
        except DomainError as error:
            form.add_domain_error(error)
        else:
            context["record"] = spec.queryset().get(pk=pk)
            return _value(request, spec, context)
    if form.errors:  # the error is read with the field, which takes the focus again
        attrs = form.fields[name].widget.attrs
        attrs |= {"aria-invalid": "true", "aria-describedby": f"{form[name].auto_id}_error"}
    context |= {"form": form, "bound": form[name]}
    status = 422 if form.errors else 200
    return render(request, "web/inline_field.html#form", context, status=status)


def _value(request: AuthedRequest, spec: InlineKind, context: dict[str, Any]) -> HttpResponse:
    context["value"] = display(spec, context["record"], context["name"])
    context["editable"] = True
    return render(request, "web/inline_field.html#value", context)
