"""Excel workbooks (.xlsx) import and export beside CSV: recognised by their content, read
and written streamed, typed cells read back as the text a CSV file would hold."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from conftest import Company
from opportune.cli import main
from opportune.identity.models import ApiToken, User
from opportune.imports.excel import SpilledStrings
from opportune.imports.export import export_queryset, xlsx_file
from opportune.imports.reading import XLSX, UnreadableFile, count_rows, inspect, read_rows
from opportune.imports.services import create_job, run_job
from opportune.leads.models import Lead

from .helpers import issues, stored


def workbook(*rows: list[object]) -> bytes:
    book = Workbook()  # the editable mode: shared strings, as Excel writes them
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _client(user: User) -> Client:
    _, raw = ApiToken.issue(user, "tests")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_a_workbook_is_recognised_by_its_content_and_its_cells_read_as_text() -> None:
    path = stored(
        workbook(
            ["Last Name", "Company", "Employees", "Revenue", "Since", "Opted out", "Ratio"],
            ["Lee", "Acme", 12, 2500000.0, dt.datetime(2026, 3, 1), True, 0.25],
            [None, None, None, None, None, None, None],
            ["Ng", "=Not a formula", None, None, dt.datetime(2026, 3, 1, 9, 30), False, None],
        )
    )
    shape = inspect(path)
    assert shape.encoding == XLSX
    assert shape.headers[:2] == ["Last Name", "Company"]
    rows = list(read_rows(path, shape))
    assert [row.line for row in rows] == [2, 4]  # Excel's row numbers; blank rows skipped
    assert rows[0].values == {
        "Last Name": "Lee",
        "Company": "Acme",
        "Employees": "12",
        "Revenue": "2500000",
        "Since": "2026-03-01",
        "Opted out": "true",
        "Ratio": "0.25",
    }
    assert rows[1].values["Since"] == "2026-03-01T09:30:00"
    assert count_rows(path, shape) == 3
    assert [row.line for row in read_rows(path, shape, skip=1)] == [4]


def test_a_zip_that_is_not_a_workbook_is_refused_with_a_reason() -> None:
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w") as archive:
        archive.writestr("notes.txt", "hello")
    with pytest.raises(UnreadableFile, match="not an Excel workbook"):
        inspect(stored(raw.getvalue()))


def test_shared_strings_spilled_to_disk_are_looked_up_by_index() -> None:
    strings = SpilledStrings()
    for text in ["", "Acme", "Zürich ☃", ""]:
        strings.append(text)
    strings.seal()
    try:
        assert list(strings) == ["", "Acme", "Zürich ☃", ""]
        assert strings[1:3] == ["Acme", "Zürich ☃"]
    finally:
        strings.close()


def test_a_workbook_imports_like_a_csv_file_with_row_errors_by_excel_row(
    company: Company,
) -> None:
    content = workbook(
        ["Last Name", "Company", "Email", "Phone"],
        ["Lee", "Acme", "lee@acme.example", "+1 555 0100"],
        ["", "Acme", "bad", None],
    )
    job = create_job(company.ada, "leads", stored(content), "leads.xlsx")
    job = run_job(job.pk)
    assert (job.created, job.invalid) == (1, 1)
    assert {line for line, _, _ in issues(job)} == {3}
    lead = Lead.objects.get()
    assert (lead.last_name, lead.email, lead.phone) == ("Lee", "lee@acme.example", "+1 555 0100")


def test_an_excel_export_is_typed_never_runs_formulas_and_reimports_unchanged(
    company: Company,
) -> None:
    company.lead(
        company.alice,
        company='=HYPERLINK("http://evil.example","x")',
        title="-5",
        phone="+1 555 0100",
        employees=12,
        annual_revenue=Decimal("1234.50"),
    )
    with xlsx_file("leads", export_queryset("leads", company.ada, {})) as out:
        content = out.read()
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    header = [cell.value for cell in sheet[1]]
    row = {name: cell for name, cell in zip(header, sheet[2], strict=True)}
    assert row["company"].data_type == "s"  # text, not a formula
    assert row["employees"].value == 12
    assert row["annual_revenue"].value == 1234.5

    Lead.objects.all().delete()
    job = run_job(create_job(company.ada, "leads", stored(content), "leads.xlsx").pk)
    assert (job.created, job.invalid) == (1, 0)
    lead = Lead.objects.get()
    assert lead.company == '=HYPERLINK("http://evil.example","x")'
    assert (lead.title, lead.phone, lead.employees) == ("-5", "+1 555 0100", 12)
    assert lead.annual_revenue == Decimal("1234.50")
    assert lead.owner == company.alice


def test_the_api_and_the_pages_export_xlsx_on_request(company: Company) -> None:
    company.lead(company.alice, last_name="Mine")
    response = _client(company.alice).get("/api/v1/exports/leads", {"format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('filename="leads.xlsx"')
    assert b"".join(response.streaming_content)[:4] == b"PK\x03\x04"  # type: ignore[attr-defined]
    assert _client(company.alice).get("/api/v1/exports/leads", {"format": "ods"}).status_code == 422

    page = Client()
    page.force_login(company.alice)
    url = reverse("imports:export_xlsx", args=["leads"])
    response = page.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    csv_url = reverse("imports:export", args=["leads"])
    assert page.get(csv_url, {"format": "ods"}).status_code == 422
    assert url in page.get(reverse("leads:list")).content.decode()


def test_the_cli_exports_xlsx_by_name_and_imports_it(company: Company, tmp_path: Path) -> None:
    company.lead(company.alice, last_name="Mine", email="m@x.example")
    out = tmp_path / "leads.xlsx"
    assert main(["export", "leads", "-o", str(out)]) == 0
    assert out.read_bytes()[:4] == b"PK\x03\x04"
    Lead.objects.all().delete()
    assert main(["import", "leads", str(out), "--quiet"]) == 0
    assert Lead.objects.get().last_name == "Mine"
