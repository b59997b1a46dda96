"""Lead pages: the list, create and edit, the lead page with its checklist, status and
conversion. Every rule is in ``services.py`` / ``conversion.py``; these views only call them."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from opportune.accounts.models import Account, Contact
from opportune.activities.views import timeline_context
from opportune.errors import ConfigurationMissing, DomainError
from opportune.identity import policy
from opportune.identity.models import User
from opportune.opportunities.models import Pipeline
from opportune.savedviews.menu import default_view_redirect
from opportune.savedviews.views import bulk_response, list_actions
from opportune.web.http import (
    AuthedRequest,
    go_to,
    render_page,
    visible_or_404,
    wants_fragment,
)
from opportune.web.lists import list_context

from .conversion import (
    ConversionCandidates,
    conversion_candidates,
    convert_lead,
    default_close_date_for,
    default_opportunity_name,
)
from .filters import OPEN, LeadFilterSet
from .forms import (
    CRITERIA_LABELS,
    ConvertForm,
    LeadCreateForm,
    LeadForm,
    QualificationForm,
    StatusForm,
)
from .models import Lead, QualificationPolicy
from .schemas import ConversionOptions, LeadChanges, LeadCreate
from .services import create_lead, update_lead

PAGE_SIZE = 50
# The filter bar's fields; the list opens on open leads (status=open).
SHOWN_FILTERS = (
    "q",
    "status",
    "source",
    "owner",
    "rating",
    "score_min",
    "created_from",
    "created_to",
)
EDITABLE = [name for name in LeadForm.base_fields if name != "owner"]


def _leads(user: User) -> QuerySet[Lead]:
    return Lead.objects.visible_to(user).select_related("status", "owner")


def _get_lead(request: AuthedRequest, pk: int, verb: policy.Verb | None = None) -> Lead:
    return visible_or_404(
        Lead.objects.select_related(
            "status", "owner", "converted_account", "converted_contact", "converted_opportunity"
        ),
        request.user,
        pk,
        verb,
    )


@login_required
def lead_list(request: AuthedRequest) -> HttpResponse:
    default = default_view_redirect(request.user, "leads", request.GET)
    if default is not None:
        return default
    context, status = list_context(
        request,
        LeadFilterSet,
        _leads(request.user),
        defaults={"status": OPEN},
        shown=SHOWN_FILTERS,
        page_size=PAGE_SIZE,
        kind="leads",
    )
    context.update(list_actions(request, "leads"))
    return render_page(request, "leads/lead_list.html", context, "results", status)


@login_required
@require_POST
def lead_bulk(request: AuthedRequest) -> HttpResponse:
    """Assign, re-status or delete the selected leads: all or nothing
    (opportune/savedviews/bulk.py, through ``update_leads`` and ``delete_record``)."""
    return bulk_response(request, "leads")


@login_required
def lead_create(request: AuthedRequest) -> HttpResponse:
    form = LeadCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        assert isinstance(form.validated, LeadCreate)
        try:
            lead = create_lead(request.user, form.validated)
        except DomainError as error:
            form.add_domain_error(error)
        else:
            if policy.visible(request.user, Lead).filter(pk=lead.pk).exists():
                messages.success(request, f"Lead {lead.full_name} created.")
                return go_to(request, reverse("leads:detail", args=[lead.pk]))
            # The assignment rules gave it to someone whose leads this user does not see.
            messages.success(
                request,
                f"Lead {lead.full_name} created and assigned to {lead.owner} by the "
                "assignment rules; it is now in their list, not yours.",
            )
            return go_to(request, reverse("leads:list"))
    status = 422 if form.errors else 200
    return render_page(request, "leads/lead_form.html", {"form": form}, "form", status)


def _detail_context(request: AuthedRequest, lead: Lead, **extra: Any) -> dict[str, Any]:
    qualification = QualificationPolicy.current()
    missing = qualification.missing_criteria(lead)
    context: dict[str, Any] = {
        "lead": lead,
        "missing": [CRITERIA_LABELS.get(name, name) for name in missing],
        "policy": qualification,
        "may_edit": policy.may(request.user, policy.Verb.CHANGE, lead) and not lead.is_converted,
    }
    if "qualification_form" not in extra:
        context["qualification_form"] = QualificationForm(
            initial={name: getattr(lead, name) for name in QualificationForm.base_fields}
        )
    context.update(extra)
    return context


FRAGMENTS = {"details", "checklist", "header"}


@login_required
def lead_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    lead = _get_lead(request, pk)
    fragment = request.GET.get("fragment")
    context = _detail_context(request, lead)
    if fragment not in FRAGMENTS or not wants_fragment(request):
        # The whole page (a fragment's address opened in the browser, as the qualification
        # form's redirect does, is the whole page too): it needs the timeline.
        fragment = None
        context.update(timeline_context(request.user, lead=lead))
    return render_page(request, "leads/lead_detail.html", context, fragment)


@login_required
def lead_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    lead = _get_lead(request, pk, policy.Verb.CHANGE)
    initial = {name: getattr(lead, name) for name in EDITABLE}
    initial["owner"] = lead.owner_id
    initial["custom"] = lead.custom
    form = LeadForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        assert isinstance(form.validated, LeadChanges)
        try:
            lead = update_lead(request.user, lead, form.validated)
        except DomainError as error:
            form.add_domain_error(error)
        else:
            if not Lead.objects.visible_to(request.user).filter(pk=pk).exists():
                messages.success(request, "Lead saved; it is no longer one of yours.")
                return go_to(request, reverse("leads:list"))
            if wants_fragment(request):
                lead = _get_lead(request, pk)
                context = _detail_context(request, lead)
                return render_page(request, "leads/lead_detail.html", context, "details_saved")
            messages.success(request, "Lead saved.")
            return redirect("leads:detail", pk=lead.pk)
    context = {"form": form, "lead": lead}
    status = 422 if form.errors else 200
    return render_page(request, "leads/lead_form.html", context, "form", status)


@login_required
def lead_qualify(request: AuthedRequest, pk: int) -> HttpResponse:
    """Save the BANT checklist; answers the checklist and the header (convert button)."""
    lead = _get_lead(request, pk, policy.Verb.CHANGE)
    if request.method != "POST":
        return redirect(f"{reverse('leads:detail', args=[pk])}?fragment=checklist")
    form = QualificationForm(request.POST)
    status = 422
    if form.is_valid():
        assert isinstance(form.validated, LeadChanges)
        try:
            lead = update_lead(request.user, lead, form.validated)
        except DomainError as error:
            form.add_domain_error(error)
        else:
            lead = _get_lead(request, pk)
            form = QualificationForm(
                initial={name: getattr(lead, name) for name in QualificationForm.base_fields}
            )
            status = 200
            if not wants_fragment(request):
                messages.success(request, "Qualification saved.")
                return redirect("leads:detail", pk=pk)
    context = _detail_context(request, lead, qualification_form=form, saved=status == 200)
    return render_page(request, "leads/lead_detail.html", context, "checklist_saved", status)


@login_required
def lead_status(request: AuthedRequest, pk: int) -> HttpResponse:
    """Change the status; a disqualifying status asks for the reason (the service insists)."""
    lead = _get_lead(request, pk, policy.Verb.CHANGE)
    initial = {"status": request.GET.get("status") or lead.status.key}
    form = StatusForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        assert isinstance(form.validated, LeadChanges)
        try:
            update_lead(request.user, lead, form.validated)
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, "Status changed.")
            return go_to(request, reverse("leads:detail", args=[pk]))
    status = 422 if form.errors else 200
    return render_page(
        request, "leads/lead_status.html", {"lead": lead, "form": form}, "dialog", status
    )


def conversion_defaults(
    lead: Lead, pipeline: Pipeline, candidates: ConversionCandidates
) -> dict[str, Any]:
    """What the dialog proposes, per PRODUCT.md section 3 and issue 14: the best flagged
    duplicate account (and its contact) rather than "create new", a deal named "Company -
    need", closing on the lead's expected purchase date when it is ahead (the service
    applies the same defaults when a field is left out)."""
    account = candidates.accounts[0] if candidates.accounts else None
    contact = next(
        (
            c
            for c in candidates.contacts
            if c.account_id is None or (account is not None and c.account_id == account.pk)
        ),
        None,
    )
    return {
        "account": account.pk if account else None,
        "contact": contact.pk if contact else None,
        "create_opportunity": True,
        "opportunity_name": default_opportunity_name(lead),
        "amount": lead.budget_amount if lead.budget_confirmed else None,
        "close_date": default_close_date_for(lead, timezone.localdate()),
        "pipeline": pipeline.key,
        "stage": pipeline.first_open_stage().key,
    }


def _picked(request: AuthedRequest, name: str, model: Any, shown: list[Any]) -> list[Any]:
    """A record picked by lookup (not among the flagged duplicates), kept on a re-render."""
    source = request.POST if request.method == "POST" else request.GET
    value = str(source.get(name, ""))
    if not value.isdigit() or any(r.pk == int(value) for r in shown):
        return []
    return list(model.objects.visible_to(request.user).filter(pk=int(value))[:1])


@login_required
def lead_convert(request: AuthedRequest, pk: int) -> HttpResponse:
    lead = _get_lead(request, pk, policy.Verb.CONVERT)
    if lead.is_converted:
        messages.info(request, "This lead was already converted.")
        return go_to(request, reverse("leads:detail", args=[pk]))
    source = request.POST if request.method == "POST" else request.GET
    pipelines = list(Pipeline.objects.all())
    try:
        pipeline = next((p for p in pipelines if p.key == source.get("pipeline")), None)
        pipeline = pipeline or Pipeline.default()
        defaults = conversion_defaults(lead, pipeline, conversion_candidates(request.user, lead))
    except ConfigurationMissing as missing:
        messages.error(request, f"Conversion is unavailable: {missing.detail}")
        return go_to(request, reverse("leads:detail", args=[pk]))
    stages = list(pipeline.stages.filter(is_closed=False, is_active=True))
    candidates = conversion_candidates(request.user, lead)
    picked_accounts = _picked(request, "account", Account, candidates.accounts)
    picked_contacts = _picked(request, "contact", Contact, candidates.contacts)
    if request.method == "GET" and request.htmx and "pipeline" in request.GET:
        # The pipeline was switched: keep what the user chose, offer that pipeline's stages.
        keep = {k: v for k, v in request.GET.items() if k in ConvertForm.base_fields}
        defaults.update(keep)
        defaults["stage"] = pipeline.first_open_stage().key
    form = ConvertForm(
        request.POST or None,
        initial=defaults,
        pipelines=pipelines,
        stages=stages,
    )
    refused: list[str] = []
    if request.method == "POST" and form.is_valid():
        assert isinstance(form.validated, ConversionOptions)
        try:
            result = convert_lead(request.user, lead.pk, form.validated)
        except DomainError as error:
            criteria = [name for name in error.errors if name in CRITERIA_LABELS]
            if criteria:
                refused = [CRITERIA_LABELS[name] for name in criteria]
                form.add_error(None, "The lead does not meet the qualification policy yet.")
            else:
                form.add_domain_error(error)
        else:
            messages.success(request, f"{lead.full_name} converted.")
            if result.opportunity is not None:
                return go_to(request, reverse("opportunities:detail", args=[result.opportunity.pk]))
            return go_to(request, reverse("accounts:detail", args=[result.account.pk]))
    qualification = QualificationPolicy.current()
    context = {
        "lead": lead,
        "form": form,
        "candidates": candidates,
        "picked_accounts": picked_accounts,
        "picked_contacts": picked_contacts,
        "missing": [CRITERIA_LABELS.get(n, n) for n in qualification.missing_criteria(lead)],
        "refused": refused,
        "may_override": policy.may_override_qualification(request.user, qualification),
    }
    status = 422 if form.errors else 200
    return render_page(request, "leads/lead_convert.html", context, "dialog", status)
