"""The import wizard's upload and report (live progress, row report, unmapped values,
saving and downloading the mapping; the mapping screens are ``wizard.py``) and CSV exports.
Every rule is in ``services.py``; these views only call it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.views.decorators.http import require_POST
from pydantic import ValidationError

from opportune.errors import DomainError, RuleViolation
from opportune.schemas import error_message
from opportune.web.http import AuthedRequest, go_to, render_page, visible_or_404, wants_fragment
from opportune.web.lists import UI_PARAMS

from . import spec, wizard
from .export import (
    LISTS,
    csv_response,
    error_lines,
    export_format,
    export_queryset,
    export_response,
)
from .forms import ImportForm
from .models import ImportJob, Target
from .picklists import load as load_picklists
from .schemas import MappingIn
from .services import (
    MAPPING_PARTS,
    check_target,
    enqueue,
    import_checked,
    removed_if_refused,
    resume_job,
    save_mapping,
    store_file,
)
from .unmapped import rerun, unmapped_values

SHOWN_ERRORS = 100


@login_required
def import_list(request: AuthedRequest) -> HttpResponse:
    """The upload, the first step of the wizard (then ``wizard.columns`` and ``values``)."""
    form = ImportForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            check_target(request.user, data["target"])
            given = None
            if data["mapping_file"] is not None:
                given = spec.parse(data["mapping_file"].read().decode("utf-8", "replace"))
                spec.check(data["target"], given)
            with removed_if_refused(store_file(data["file"])) as path:
                return wizard.start(
                    request,
                    data["target"],
                    path,
                    data["file"].name,
                    data["mapping"],
                    data["match_key"],
                    given,
                )
        except DomainError as exc:
            form.add_error(None, exc.detail)
    jobs = ImportJob.objects.visible_to(request.user).select_related("created_by")[:30]
    context = {"form": form, "jobs": jobs, "targets": Target.choices}
    return render_page(request, "imports/import_list.html", context)


@login_required
def import_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    job = visible_or_404(ImportJob.objects.all(), request.user, pk)
    unmapped = unmapped_values(job) if job.is_finished else []
    picklists = load_picklists(job.target) if unmapped else {}
    context = {
        "job": job,
        "errors": job.row_errors.order_by("line", "pk")[:SHOWN_ERRORS],
        "shown_errors": SHOWN_ERRORS,
        "unmapped": [(i, u, picklists.get(u.field)) for i, u in enumerate(unmapped)],
        "blank": wizard.BLANK,
        "new_value": wizard.NEW_VALUE,
        "columns": [(h, f) for h, f in job.mapping.get("columns", {}).items()],
    }
    response = render_page(request, "imports/import_detail.html", context, fragment="progress")
    if job.is_finished and wants_fragment(request):
        # The poll that sees the job finish reloads the page once: the values to map and
        # the reported rows sit outside the polled progress card.
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_POST
def import_remap(request: AuthedRequest, pk: int) -> HttpResponse:
    """The dry run's unmapped values mapped: check again, or import for real."""
    checked = visible_or_404(ImportJob.objects.all(), request.user, pk)
    unmapped = unmapped_values(checked)
    values, added = wizard.posted_values(request.POST, [(u.field, u.value) for u in unmapped], "v")
    try:
        job = rerun(
            request.user, checked, values, added, dry_run=request.POST.get("run") != "import"
        )
    except DomainError as exc:
        messages.error(request, exc.detail)
        return go_to(request, reverse("imports:detail", args=[checked.pk]))
    enqueue(job)
    return go_to(request, reverse("imports:detail", args=[job.pk]))


@login_required
def import_mapping(request: AuthedRequest, pk: int) -> HttpResponse:
    """The job's mapping as the JSON file the CLI takes."""
    job = visible_or_404(ImportJob.objects.all(), request.user, pk)
    return wizard.mapping_file(job.target, job.mapping, f"import-{job.pk}-mapping.json")


@login_required
@require_POST
def import_save_mapping(request: AuthedRequest, pk: int) -> HttpResponse:
    """Save the job's mapping under a name, to reuse for the next file of the same shape."""
    job = visible_or_404(ImportJob.objects.all(), request.user, pk)
    parts = {part: job.mapping.get(part) or {} for part in MAPPING_PARTS}
    try:
        data = MappingIn.model_validate(
            {
                "name": request.POST.get("name", ""),
                "is_shared": request.POST.get("is_shared") == "on",
                "target": job.target,
                **parts,
            }
        )
        saved = save_mapping(request.user, data)
    except ValidationError as exc:
        messages.error(request, f"Name the mapping: {error_message(exc.errors()[0])}")
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, f"Mapping '{saved}' saved: choose it at the next upload.")
    return go_to(request, reverse("imports:detail", args=[job.pk]))


@login_required
@require_POST
def import_run(request: AuthedRequest, pk: int) -> HttpResponse:
    """Import for real the file of a finished dry run."""
    checked = visible_or_404(ImportJob.objects.all(), request.user, pk)
    try:
        job = import_checked(request.user, checked)
    except DomainError as exc:
        messages.error(request, exc.detail)
        return go_to(request, reverse("imports:detail", args=[checked.pk]))
    enqueue(job)
    return go_to(request, reverse("imports:detail", args=[job.pk]))


@login_required
@require_POST
def import_resume(request: AuthedRequest, pk: int) -> HttpResponse:
    job = visible_or_404(ImportJob.objects.all(), request.user, pk)
    try:
        resume_job(request.user, job)
    except DomainError as exc:
        messages.error(request, exc.detail)
    return go_to(request, reverse("imports:detail", args=[job.pk]))


@login_required
def import_errors(request: AuthedRequest, pk: int) -> StreamingHttpResponse:
    job = visible_or_404(ImportJob.objects.all(), request.user, pk)
    return csv_response(error_lines(job), f"import-{job.pk}-errors.csv")


@login_required
def export(request: AuthedRequest, target: str, fmt: str = "") -> HttpResponseBase:
    """The list as CSV or Excel (``.xlsx`` or ``?format=xlsx``), with the list's own filters
    (its query string, the same FilterSet); invalid filters are a 422 that names them, never
    a silently unfiltered file."""
    if target not in LISTS:
        raise Http404("Nothing to export by that name.")
    try:
        fmt = fmt or export_format(request.GET)
        queryset = export_queryset(target, request.user, request.GET, also_allowed=UI_PARAMS)
    except RuleViolation as exc:
        return HttpResponse(exc.detail, status=422, content_type="text/plain; charset=utf-8")
    return export_response(target, queryset, fmt)
