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

from opportune.activities.views import timeline_context
from opportune.errors import ConfigurationMissing, DomainError
from opportune.fiscal import fiscal_quarter_end
from opportune.identity import policy
from opportune.identity.models import User
from opportune.opportunities.models import Pipeline
from opportune.web.http import (
    AuthedRequest,
    go_to,
    render_page,
    safe_next,
    visible_or_404,
    wants_fragment,
)
from opportune.web.lists import list_context

from .conversion import conversion_candidates, convert_lead
from .filters import OPEN, LeadFilterSet
from .forms import (
    CRITERIA_LABELS,
    BulkForm,
    ConvertForm,
    LeadCreateForm,
    LeadForm,
    QualificationForm,
    StatusForm,
)
from .models import Lead, QualificationPolicy
from .schemas import ConversionOptions, LeadChanges, LeadCreate
from .services import create_lead, update_lead, update_leads

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
    context, status = list_context(
        request,
        LeadFilterSet,
        _leads(request.user),
        defaults={"status": OPEN},
        shown=SHOWN_FILTERS,
        page_size=PAGE_SIZE,
    )
    context.update(
        bulk=BulkForm(prefix="bulk") if policy.may_write(request.user) else None,
        return_to=request.get_full_path(),
    )
    return render_page(request, "leads/lead_list.html", context, "results", status)


@login_required
@require_POST
def lead_bulk(request: AuthedRequest) -> HttpResponse:
    """Assign or re-status the selected leads (``update_leads``: a refused one does not stop
    the others)."""
    form = BulkForm(request.POST, prefix="bulk")
    back = safe_next(request, reverse("leads:list"), "return_to")
    if not form.is_valid():
        messages.error(request, "Choose an action and select at least one lead.")
        return redirect(back)
    data = form.cleaned_data
    if data["action"] == "assign":
        changes = LeadChanges(owner_id=data["owner"])
    elif data["status"]:
        changes = LeadChanges(status=data["status"], disqualify_reason=data["reason"] or None)
    else:
        messages.error(request, "Choose the new status.")
        return redirect(back)
    done, refused = 0, []
    leads = list(_leads(request.user).filter(pk__in=data["ids"]))
    results = update_leads(request.user, [(lead.pk, changes) for lead in leads])
    for lead, result in zip(leads, results, strict=True):
        if isinstance(result, DomainError):
            refused.append(f"{lead.full_name}: {result.detail}")
        else:
            done += 1
    if done:
        messages.success(request, f"Updated {done} lead{'s' if done != 1 else ''}.")
    for message in refused[:10]:
        messages.error(request, message)
    return redirect(back)


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


def conversion_defaults(lead: Lead, pipeline: Pipeline) -> dict[str, Any]:
    """What the dialog proposes, per PRODUCT.md section 3 (the service applies the same
    defaults when a field is left out, so leaving them untouched changes nothing)."""
    return {
        "create_opportunity": True,
        "opportunity_name": lead.company[:120],
        "amount": lead.budget_amount if lead.budget_confirmed else None,
        "close_date": fiscal_quarter_end(timezone.localdate()),
        "stage": pipeline.first_open_stage().key,
    }


@login_required
def lead_convert(request: AuthedRequest, pk: int) -> HttpResponse:
    lead = _get_lead(request, pk, policy.Verb.CONVERT)
    if lead.is_converted:
        messages.info(request, "This lead was already converted.")
        return go_to(request, reverse("leads:detail", args=[pk]))
    try:
        pipeline = Pipeline.default()
    except ConfigurationMissing as missing:
        messages.error(request, f"Conversion is unavailable: {missing.detail}")
        return go_to(request, reverse("leads:detail", args=[pk]))
    stages = list(pipeline.stages.filter(is_closed=False, is_active=True))
    candidates = conversion_candidates(request.user, lead)
    form = ConvertForm(
        request.POST or None,
        initial=conversion_defaults(lead, pipeline),
        accounts=candidates.accounts,
        contacts=candidates.contacts,
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
        "missing": [CRITERIA_LABELS.get(n, n) for n in qualification.missing_criteria(lead)],
        "refused": refused,
        "may_override": policy.may_override_qualification(request.user, qualification),
    }
    status = 422 if form.errors else 200
    return render_page(request, "leads/lead_convert.html", context, "dialog", status)
