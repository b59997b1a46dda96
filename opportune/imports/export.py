"""CSV and Excel exports of any filtered list, streamed: rows are read in key order in
chunks and written as they come, so a million-row export holds one chunk in memory.

CSV cells that a spreadsheet would read as a formula (starting with ``=``, ``+``, ``-``,
``@``, tab or carriage return) are written with a leading ``'``, as OWASP advises against
CSV injection; Opportune's import takes that ``'`` off again (``reading.unguard``), so an
export re-imports unchanged. Excel cells are typed: text is written as text, never as a
formula, so it needs no prefix."""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from typing import IO, Any

from django.db.models import Model, QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase

from opportune.accounts.filters import AccountFilterSet, ContactFilterSet
from opportune.accounts.models import Account, Contact
from opportune.activities.filters import ActivityFilterSet
from opportune.activities.models import Activity
from opportune.customfields import imports as custom_columns
from opportune.customfields.models import CustomField
from opportune.errors import field_error
from opportune.filtering import PAGING_PARAMS, ListFilterSet
from opportune.identity.models import User
from opportune.identity.policy import visible
from opportune.leads.filters import LeadFilterSet
from opportune.leads.models import Lead
from opportune.opportunities.filters import OpportunityFilterSet
from opportune.opportunities.models import Opportunity

from . import excel
from .models import ImportJob, Target
from .reading import guard

CHUNK = 2000

# Exported columns: the field names the importer maps back by itself (a file round-trips).
_SKIP = {
    *("id", "email_key", "phone_key", "name_key", "company_key", "normalized_name", "domain"),
    "deleted_at",  # exports hold live records only
    "custom",  # one column per custom field instead (customfields/imports.py)
}


def _columns(model: type[Model], related: dict[str, str]) -> list[tuple[str, str]]:
    """(header, value path) for every exported field; foreign keys by their key or name."""
    columns = []
    for field in model._meta.concrete_fields:
        if field.name in _SKIP or getattr(field, "generated", False):
            continue
        if field.is_relation:
            if field.name in related:
                columns.append((field.name, related[field.name]))
            continue
        columns.append((field.name, field.name))
    return [("id", "id"), *columns]


COLUMNS: dict[str, list[tuple[str, str]]] = {
    Target.LEADS: _columns(Lead, {"status": "status__key", "owner": "owner__username"}),
    Target.ACCOUNTS: _columns(Account, {"owner": "owner__username", "parent": "parent__name"}),
    Target.CONTACTS: _columns(Contact, {"owner": "owner__username", "account": "account__name"}),
    Target.OPPORTUNITIES: _columns(
        Opportunity,
        {
            "account": "account__name",
            "owner": "owner__username",
            "stage": "stage__key",
            "pipeline": "pipeline__key",
            "lost_reason": "lost_reason__key",
            "primary_contact": "primary_contact__email",
        },
    ),
    # The records an activity concerns by their ids (lead_id…): an import finds them by the
    # external ids those records were imported with, or by id in the same installation.
    Target.ACTIVITIES: [
        *_columns(Activity, {"owner": "owner__username"}),
        *((f"{link}_id", f"{link}_id") for link in ("lead", "account", "contact", "opportunity")),
    ],
}


# Each exportable list and its FilterSet: the list's own filters, so an export has the rows
# the list shows (paging and sort parameters are allowed and ignored: an export is all rows).
LISTS: dict[str, tuple[type[Model], type[ListFilterSet]]] = {
    Target.LEADS: (Lead, LeadFilterSet),
    Target.ACCOUNTS: (Account, AccountFilterSet),
    Target.CONTACTS: (Contact, ContactFilterSet),
    Target.OPPORTUNITIES: (Opportunity, OpportunityFilterSet),
    Target.ACTIVITIES: (Activity, ActivityFilterSet),
}


def export_queryset(
    target: str,
    user: User,
    params: Mapping[str, Any],
    *,
    also_allowed: Iterable[str] = PAGING_PARAMS,
) -> QuerySet[Any]:
    """The records of list ``target`` that ``user`` sees, narrowed by the list's filters;
    an unknown parameter or value raises ``RuleViolation`` naming it (``format`` is the
    export's, ``export_format``)."""
    model, filterset = LISTS[Target(target)]
    allowed = (*also_allowed, "format")
    return filterset.apply(user, visible(user, model), params, also_allowed=allowed)


FORMATS = ("csv", "xlsx")


def export_format(params: Mapping[str, Any]) -> str:
    """The file format asked for by ``?format=`` (CSV when none)."""
    fmt = str(params.get("format") or "csv").lower()
    if fmt not in FORMATS:
        raise field_error("format", f"Export as csv or xlsx, not '{fmt}'.")
    return fmt


def export_response(target: str, queryset: QuerySet[Any], fmt: str) -> HttpResponseBase:
    """The list as a CSV or Excel download, streamed."""
    if fmt == "xlsx":
        return FileResponse(
            xlsx_file(target, queryset),
            as_attachment=True,
            filename=f"{target}.xlsx",
            content_type=excel.CONTENT_TYPE,
        )
    return csv_response(csv_lines(target, queryset), f"{target}.csv")


def csv_response(lines: Iterator[str], filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _cell(value: Any) -> str:
    return "" if value is None else guard(str(value))


class _Echo:
    def write(self, value: str) -> str:
        return value


def _custom_fields(target: str) -> list[CustomField]:
    """The custom fields exported after the built-in columns, one ``custom.<key>`` each
    (none for activities, which have no custom fields)."""
    kind = custom_columns.KIND_OF_TARGET[target]
    return custom_columns.export_columns(kind) if kind else []


def _records(
    target: str, queryset: QuerySet[Any], custom: list[CustomField] | None = None
) -> Iterator[tuple[Any, ...]]:
    """Every record's exported values, custom cells last, in primary-key order, chunk by
    chunk."""
    custom = _custom_fields(target) if custom is None else custom
    has_custom = bool(custom_columns.KIND_OF_TARGET[target])
    paths = [path for _, path in COLUMNS[Target(target)]] + (["custom"] if has_custom else [])
    last = 0
    while True:
        chunk = list(queryset.filter(pk__gt=last).order_by("pk").values_list(*paths)[:CHUNK])
        if not chunk:
            return
        for record in chunk:
            if not has_custom:
                yield tuple(record)
                continue
            *row, values = record
            yield (*row, *custom_columns.export_cells(custom, values))
        last = chunk[-1][0]


def headers(target: str, custom: list[CustomField] | None = None) -> list[str]:
    custom = _custom_fields(target) if custom is None else custom
    return [header for header, _ in COLUMNS[Target(target)]] + [f"custom.{f.key}" for f in custom]


def csv_lines(target: str, queryset: QuerySet[Any]) -> Iterator[str]:
    """The header line, then one line per record, in primary-key order, chunk by chunk."""
    custom = _custom_fields(target)
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(headers(target, custom))  # BOM: Excel reads UTF-8
    for row in _records(target, queryset, custom):
        yield writer.writerow([_cell(v) for v in row])


def xlsx_file(target: str, queryset: QuerySet[Any]) -> IO[bytes]:
    """The list as an Excel workbook in a temporary file (deleted when closed), read from
    its start: written row by row, then streamed by the caller."""
    custom = _custom_fields(target)
    out = tempfile.TemporaryFile()  # noqa: SIM115 (the caller streams and closes it)
    try:
        excel.write_workbook(out, headers(target, custom), _records(target, queryset, custom))
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return out


def error_lines(job: ImportJob) -> Iterator[str]:
    """An import's reported rows as CSV: the file a user fixes and imports again."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(["line", "column", "kind", "reason", "value"])
    rows = job.row_errors.order_by("line", "pk").values_list(
        "line", "column", "kind", "reason", "value"
    )
    for row in rows.iterator(chunk_size=2000):
        yield writer.writerow([_cell(v) for v in row])
