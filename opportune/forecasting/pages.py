"""What the report pages share: the periods and days their query asks for, who may open the
opportunity reports, and a table downloaded as CSV (``?csv=<table>``)."""

from __future__ import annotations

import csv
import datetime as dt

from django.http import HttpResponse, QueryDict

from opportune.errors import DomainError
from opportune.fiscal import FiscalPeriod
from opportune.identity import policy
from opportune.identity.models import User

from .periods import period_range
from .tables import Table


def csv_response(name: str, table: Table) -> HttpResponse:
    headers, rows = table
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    writer = csv.writer(response)
    writer.writerow(headers)
    for row in rows:
        writer.writerow("" if cell is None else str(cell).strip() for cell in row)
    return response


def require_forecasts(user: User) -> None:
    policy.require_kind(user, "forecast")


def periods_from(query: QueryDict, default: list[FiscalPeriod]) -> tuple[list[FiscalPeriod], str]:
    """The periods a page's query asks for; on a bad key, the default and the error."""
    first, last = query.get("period", "").strip(), query.get("to", "").strip()
    if not first:
        return default, ""
    try:
        return period_range(first, last or None), ""
    except DomainError as error:
        return default, error.detail


def day_from(query: QueryDict, name: str, default: dt.date) -> tuple[dt.date, str]:
    """The day a page's query asks for under ``name``; on a bad one, the default and the
    error."""
    value = query.get(name, "").strip()
    if not value:
        return default, ""
    try:
        return dt.date.fromisoformat(value), ""
    except ValueError:
        return default, f"'{value}' is not a date (YYYY-MM-DD)."
