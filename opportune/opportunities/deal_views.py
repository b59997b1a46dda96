"""Deals without a lead (issue 14): "New opportunity", the account and contact lookups (also
used by the conversion dialog), contact roles and moving a deal to another pipeline.

Only calls: ``open_opportunity``, ``roles.py`` and ``change_opportunity(pipeline=...)`` hold
the rules, ``mapping.py`` the stage proposal shown before a pipeline move.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils import timezone

from opportune.accounts.filters import AccountFilterSet, ContactFilterSet
from opportune.accounts.models import Account, Contact
from opportune.errors import DomainError, NotAllowed, RuleViolation
from opportune.identity import policy
from opportune.web.http import AuthedRequest, go_to, render_page, visible_or_404

from .deal_forms import ContactRoleForm, NewOpportunityForm, PipelineMoveForm
from .mapping import mapped_stage, stage_choices
from .models import ContactRole, ContactRoleKind, Opportunity, Pipeline, Stage
from .roles import add_contact_role, change_contact_role, remove_contact_role
from .schemas import ContactRoleCreate, OpportunityCreate
from .services import change_opportunity, default_close_date, draft_from, open_opportunity

LOOKUP_SIZE = 10


def _visible_account(user: Any, value: object) -> Account | None:
    text = str(value or "")
    if not text.isdigit():
        return None
    return Account.objects.visible_to(user).filter(pk=int(text)).first()


def _pipeline_of(key: object, pipelines: list[Pipeline]) -> Pipeline:
    chosen = next((p for p in pipelines if p.key == key), None)
    return chosen or next((p for p in pipelines if p.is_default), pipelines[0])


def _open_stages(pipeline: Pipeline) -> list[Stage]:
    return list(pipeline.stages.filter(is_active=True, is_closed=False))


@login_required
def opportunity_new(request: AuthedRequest) -> HttpResponse:
    """The form; an htmx GET (a pipeline or account picked) answers it again with the stages
    of that pipeline and the contacts of that account, keeping what was typed."""
    policy.require(request.user, policy.Verb.CREATE, Opportunity)
    source = request.POST if request.method == "POST" else request.GET
    pipelines = list(Pipeline.objects.all())
    pipeline = _pipeline_of(source.get("pipeline"), pipelines)
    account = _visible_account(request.user, source.get("account"))
    contacts = list(Contact.objects.visible_to(request.user).filter(account=account)[:200])
    stages = _open_stages(pipeline)
    initial: dict[str, Any] = {
        "pipeline": pipeline.key,
        "close_date": default_close_date(timezone.localdate()),
        "owner": request.user.pk if policy.may_own(request.user, policy.OPPORTUNITY) else None,
        "type": "existing_upgrade" if account is not None else "",
        "account": account.pk if account else None,
    }
    if request.method == "GET":
        initial.update({k: v for k, v in request.GET.items() if v and k != "pipeline"})
        initial["pipeline"] = pipeline.key
        initial["account"] = account.pk if account else None
        if initial.get("stage") not in {s.key for s in stages}:
            initial.pop("stage", None)
    form = NewOpportunityForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        pipelines=pipelines,
        stages=stages,
        contacts=contacts,
    )
    if request.method == "POST" and form.is_valid():
        assert isinstance(form.validated, OpportunityCreate)
        try:
            opportunity = open_opportunity(request.user, draft_from(request.user, form.validated))
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, f"Opportunity {opportunity.name} opened.")
            return go_to(request, reverse("opportunities:detail", args=[opportunity.pk]))
    context = {"form": form, "account": account, "pipeline": pipeline}
    status = 422 if form.errors else 200
    return render_page(request, "opportunities/opportunity_new.html", context, "form", status)


@login_required
def account_lookup(request: AuthedRequest) -> HttpResponse:
    """Accounts the user sees whose name, website or phone match ``q`` (the accounts list's
    own search), as radio choices named ``name`` (``account`` unless told)."""
    query = str(request.GET.get("q", "")).strip()
    accounts: list[Account] = []
    if query:
        visible = Account.objects.visible_to(request.user).select_related("owner")
        try:
            found = AccountFilterSet.bound(request.user, visible, {"q": query}).qs
        except RuleViolation:
            found = visible.none()
        accounts = list(found.order_by("normalized_name", "pk")[:LOOKUP_SIZE])
    context = {"accounts": accounts, "query": query, "input_name": "account"}
    return render_page(request, "opportunities/lookup_accounts.html", context, "results")


@login_required
def contact_lookup(request: AuthedRequest) -> HttpResponse:
    """Contacts the user sees matching ``q`` (name, email, phone), as radio choices named
    ``contact`` (the conversion dialog)."""
    query = str(request.GET.get("q", "")).strip()
    contacts: list[Contact] = []
    if query:
        visible = Contact.objects.visible_to(request.user).select_related("account")
        try:
            found = ContactFilterSet.bound(request.user, visible, {"q": query}).qs
        except RuleViolation:
            found = visible.none()
        contacts = list(found.order_by("last_name", "pk")[:LOOKUP_SIZE])
    context = {"contacts": contacts, "query": query}
    return render_page(request, "opportunities/lookup_contacts.html", context, "results")


def _get(request: AuthedRequest, pk: int, verb: policy.Verb | None = None) -> Opportunity:
    policy.require_kind(request.user, policy.OPPORTUNITY)
    return visible_or_404(
        Opportunity.objects.select_related("account", "stage", "pipeline"),
        request.user,
        pk,
        verb,
    )


def role_contacts(user: Any, opportunity: Opportunity) -> list[Contact]:
    """The contacts offered for a new role: the account's visible ones not on the deal yet."""
    taken = ContactRole.objects.filter(opportunity=opportunity).values("contact_id")
    return list(
        Contact.objects.visible_to(user)
        .filter(account=opportunity.account_id)
        .exclude(pk__in=taken)
        .select_related("account")[:200]
    )


@login_required
def contact_roles(request: AuthedRequest, pk: int) -> HttpResponse:
    """Add (``action=add``), change (``save``) or remove (``remove``) a contact role; the
    opportunity page shows the refusal in the roles card."""
    opportunity = _get(request, pk, policy.Verb.CHANGE)
    if request.method != "POST":
        return go_to(request, reverse("opportunities:detail", args=[pk]) + "#contact-roles")
    action = request.POST.get("action", "add")
    try:
        if action == "add":
            form = ContactRoleForm(request.POST, contacts=role_contacts(request.user, opportunity))
            if not form.is_valid():
                raise RuleViolation("Choose a contact.", {"contact_id": ["Choose a contact."]})
            assert isinstance(form.validated, ContactRoleCreate)
            data = form.validated
            add_contact_role(request.user, opportunity, data.contact_id, data.role, data.is_primary)
            messages.success(request, "Contact added to the deal.")
        else:
            role_id = str(request.POST.get("role_id", ""))
            if not role_id.isdigit():
                raise RuleViolation("Choose a contact role.")
            if action == "remove":
                remove_contact_role(request.user, opportunity, int(role_id))
                messages.success(request, "Contact removed from the deal.")
            else:
                role = str(request.POST.get("role", ""))
                primary = request.POST.get("is_primary") == "on"
                change_contact_role(
                    request.user, opportunity, int(role_id), role=role, is_primary=primary or None
                )
                messages.success(request, "Contact role saved.")
    except Http404:
        messages.error(request, "That contact role is no longer on this deal.")
    except DomainError as error:
        if isinstance(error, NotAllowed):
            raise
        words = [m for messages_ in error.errors.values() for m in messages_] or [error.detail]
        messages.error(request, " ".join(words))
    return go_to(request, reverse("opportunities:detail", args=[pk]) + "#contact-roles")


@login_required
def pipeline_move(request: AuthedRequest, pk: int) -> HttpResponse:
    """Move the deal to another pipeline: GET proposes the mapped stage (``mapping.py``) for
    the chosen pipeline, the user may pick another; POST moves through the service."""
    opportunity = _get(request, pk, policy.Verb.CHANGE)
    pipelines = [p for p in Pipeline.objects.all() if p.pk != opportunity.pipeline_id]
    if not pipelines:
        messages.info(request, "There is no other pipeline to move this deal to.")
        return go_to(request, reverse("opportunities:detail", args=[pk]))
    source = request.POST if request.method == "POST" else request.GET
    target = next((p for p in pipelines if p.key == source.get("pipeline")), pipelines[0])
    stages = list(target.stages.filter(is_active=True))
    choices = stage_choices(opportunity.is_closed, opportunity.is_won, stages)
    proposal: Stage | None = None
    problem = ""
    try:
        proposal = mapped_stage(
            opportunity.stage, opportunity.is_closed, opportunity.is_won, target, stages
        )
    except RuleViolation as error:
        problem = " ".join(m for ms in error.errors.values() for m in ms) or error.detail
    form = PipelineMoveForm(
        request.POST if request.method == "POST" else None,
        initial={"pipeline": target.key, "stage": proposal.key if proposal else ""},
        pipelines=pipelines,
        stages=choices,
    )
    if request.method == "POST" and form.is_valid():
        try:
            change_opportunity(
                request.user,
                opportunity,
                {"pipeline": target.key, "stage": form.cleaned_data["stage"]},
            )
        except DomainError as error:
            if isinstance(error, NotAllowed):
                raise
            for field, errors in error.errors.items():
                for message in errors:
                    form.add_error(field if field in form.fields else None, message)
            if not error.errors:
                form.add_error(None, error.detail)
        else:
            messages.success(request, f"{opportunity.name} moved to {target.name}.")
            return go_to(request, reverse("opportunities:detail", args=[pk]))
    context = {
        "opportunity": opportunity,
        "form": form,
        "target": target,
        "proposal": proposal,
        "problem": problem,
    }
    status = 422 if form.errors else 200
    return render_page(request, "opportunities/pipeline_move.html", context, "dialog", status)


def deal_context(user: Any, opportunity: Opportunity) -> dict[str, Any]:
    """What the opportunity page adds for roles and pipeline moves (one call from its view)."""
    return {
        "role_contacts": role_contacts(user, opportunity),
        "role_kinds": ContactRoleKind.choices,
        "has_other_pipeline": Pipeline.objects.exclude(pk=opportunity.pipeline_id).exists(),
    }
