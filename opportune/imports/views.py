"""The import wizard (upload, live progress, row report) and CSV exports of the lists.
Every rule is in ``services.py``; these views only call it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.views.decorators.http import require_POST

from opportune.errors import DomainError, RuleViolation
from opportune.web.http import AuthedRequest, go_to, render_page, visible_or_404
from opportune.web.lists import UI_PARAMS

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
from .services import (
    create_job,
    enqueue,
    import_checked,
    removed_if_refused,
    resume_job,
    store_file,
)

SHOWN_ERRORS = 100


@login_required
def import_list(request: AuthedRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with removed_if_refused(store_file(data["file"])) as path:
                job = create_job(
                    request.user,
                    data["target"],
                    path,
                    data["file"].name,
                    saved_mapping=data["mapping"],
                    match_key=data["match_key"],
                    dry_run=data["dry_run"],
                )
        except DomainError as exc:
            form.add_error(None, exc.detail)
        else:
            enqueue(job)
            return go_to(request, reverse("imports:detail", args=[job.pk]))
    jobs = ImportJob.objects.visible_to(request.user).select_related("created_by")[:30]
    context = {"form": form, "jobs": jobs, "targets": Target.choices}
    return render_page(request, "imports/import_list.html", context)


@login_required
def import_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    job = visible_or_404(ImportJob.objects.all(), request.user, pk)
    context = {
        "job": job,
        "errors": job.row_errors.order_by("line", "pk")[:SHOWN_ERRORS],
        "shown_errors": SHOWN_ERRORS,
    }
    return render_page(request, "imports/import_detail.html", context, fragment="progress")


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
