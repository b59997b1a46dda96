"""/api/v1/imports (upload, status, errors, resume), /import-mappings, /exports (CSV, xlsx)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest, StreamingHttpResponse
from django.http.response import HttpResponseBase
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile

from opportune.accounts.api import AccountQuery, ContactQuery
from opportune.activities.api import ActivityQuery
from opportune.filtering import API_LIST_PARAMS, api_list, query_schema
from opportune.identity import policy
from opportune.identity.auth import actor
from opportune.leads.api import LeadQuery
from opportune.opportunities.api import OpportunityQuery
from opportune.paging import ListParams, Page

from . import spec
from .export import error_lines, export_format, export_queryset, export_response
from .filters import ImportJobFilterSet
from .models import ImportJob, ImportMapping, Target
from .schemas import ImportJobOut, MappingIn, MappingOut, UnmappedValueOut
from .services import (
    create_job,
    enqueue,
    removed_if_refused,
    resume_job,
    save_mapping,
    store_upload,
)
from .unmapped import UnmappedValue, unmapped_values

router = Router(tags=["import and export"])

if TYPE_CHECKING:
    ImportJobQuery = ListParams
else:
    ImportJobQuery = query_schema(ImportJobFilterSet, "ImportJobQuery")


def _job(request: HttpRequest, job_id: int) -> ImportJob:
    return policy.get_visible(actor(request), ImportJob.objects.all(), job_id)


@router.post(
    "/imports",
    response={202: ImportJobOut},
    summary="Upload a CSV file and queue its import (or its dry run)",
)
def post_import(
    request: HttpRequest,
    file: File[UploadedFile],
    target: Form[str] = "leads",
    mapping_id: Form[int | None] = None,
    mapping: Form[str] = "",
    match_key: Form[str] = "",
    dry_run: Form[bool] = False,
    encoding: Form[str] = "",
) -> Status[ImportJob]:
    user = actor(request)
    policy.require_writer(user)
    saved = None
    if mapping_id is not None:
        saved = policy.get_visible(user, ImportMapping.objects.all(), mapping_id)
    given = spec.parse(mapping) if mapping else None
    with removed_if_refused(store_upload(file.chunks())) as path:
        job = create_job(
            user,
            target,
            path,
            file.name or "upload.csv",
            mapping=given,
            saved_mapping=saved,
            match_key=match_key,
            dry_run=dry_run,
            encoding=encoding,
        )
    enqueue(job)
    return Status(202, job)


@router.get("/imports", response=Page[ImportJobOut], summary="Your imports, newest first")
def list_imports(request: HttpRequest, params: Query[ImportJobQuery]) -> dict[str, Any]:
    jobs = ImportJob.objects.visible_to(actor(request))
    return api_list(request, ImportJobFilterSet, jobs, params)


@router.get("/imports/{int:job_id}", response=ImportJobOut, summary="An import's progress")
def get_import(request: HttpRequest, job_id: int) -> ImportJob:
    return _job(request, job_id)


@router.post(
    "/imports/{int:job_id}/resume",
    response={202: ImportJobOut},
    summary="Continue a failed or interrupted import after its last committed row",
)
def post_resume(request: HttpRequest, job_id: int) -> Status[ImportJob]:
    return Status(202, resume_job(actor(request), _job(request, job_id)))


@router.get(
    "/imports/{int:job_id}/errors",
    response={200: None},
    summary="The rows reported by an import, as CSV (line, column, kind, reason, value)",
)
def get_errors(request: HttpRequest, job_id: int) -> StreamingHttpResponse:
    job = _job(request, job_id)
    response = StreamingHttpResponse(error_lines(job), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
    return response


@router.get(
    "/imports/{int:job_id}/unmapped-values",
    response=list[UnmappedValueOut],
    summary="The picklist values of an import that map to nothing, with their count and rows",
)
def get_unmapped_values(request: HttpRequest, job_id: int) -> list[UnmappedValue]:
    return unmapped_values(_job(request, job_id))


@router.get("/import-mappings", response=list[MappingOut], summary="Saved column mappings")
def list_mappings(request: HttpRequest) -> QuerySet[ImportMapping]:
    return ImportMapping.objects.visible_to(actor(request))


@router.post("/import-mappings", response={201: MappingOut}, summary="Save a column mapping")
def post_mapping(request: HttpRequest, payload: MappingIn) -> Status[ImportMapping]:
    return Status(201, save_mapping(actor(request), payload))


# ``?format=xlsx`` exports an Excel workbook instead of CSV.
ExportFormat = Literal["csv", "xlsx"]


def _export(request: HttpRequest, target: str) -> HttpResponseBase:
    """The list's rows for this query string (the list's own FilterSet), as CSV or Excel."""
    fmt = export_format(request.GET)
    # The export takes the list's own query schema, so its paging words (and ``count``) are
    # accepted and ignored: the same query string gives the same rows as the list.
    found = export_queryset(target, actor(request), request.GET, also_allowed=API_LIST_PARAMS)
    return export_response(target, found, fmt)


@router.get("/exports/leads", response={200: None}, summary="The filtered leads as CSV or xlsx")
def export_leads(
    request: HttpRequest, params: Query[LeadQuery], format: ExportFormat = "csv"
) -> HttpResponseBase:
    return _export(request, Target.LEADS)


@router.get(
    "/exports/accounts", response={200: None}, summary="The filtered accounts as CSV or xlsx"
)
def export_accounts(
    request: HttpRequest, params: Query[AccountQuery], format: ExportFormat = "csv"
) -> HttpResponseBase:
    return _export(request, Target.ACCOUNTS)


@router.get(
    "/exports/contacts", response={200: None}, summary="The filtered contacts as CSV or xlsx"
)
def export_contacts(
    request: HttpRequest, params: Query[ContactQuery], format: ExportFormat = "csv"
) -> HttpResponseBase:
    return _export(request, Target.CONTACTS)


@router.get(
    "/exports/opportunities",
    response={200: None},
    summary="The filtered opportunities as CSV or xlsx",
)
def export_opportunities(
    request: HttpRequest, params: Query[OpportunityQuery], format: ExportFormat = "csv"
) -> HttpResponseBase:
    return _export(request, Target.OPPORTUNITIES)


@router.get(
    "/exports/activities", response={200: None}, summary="The filtered activities as CSV or xlsx"
)
def export_activities(
    request: HttpRequest, params: Query[ActivityQuery], format: ExportFormat = "csv"
) -> HttpResponseBase:
    return _export(request, Target.ACTIVITIES)
