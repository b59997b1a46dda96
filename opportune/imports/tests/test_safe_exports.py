"""CSV exports guard against formula injection (OWASP, "CSV Injection":
https://owasp.org/www-community/attacks/CSV_Injection): a cell starting with ``=``, ``+``,
``-``, ``@``, tab or carriage return gets a leading ``'``; Opportune's import takes it off, so
an export re-imports unchanged, negative numbers and international phones included."""

from __future__ import annotations

import csv
import io

import pytest

from conftest import Company
from opportune.imports.export import csv_lines, error_lines, export_queryset
from opportune.imports.reading import guard, inspect, read_rows, unguard
from opportune.leads.models import Lead

from .helpers import run_import, stored

DANGEROUS = [
    '=HYPERLINK("http://evil.example","click")',
    "=cmd|' /C calc'!A0",
    "+1+2",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("value", DANGEROUS)
def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_exported_as_text(value: str) -> None:
    assert guard(value) == "'" + value
    assert unguard(guard(value)) == value


@pytest.mark.parametrize("value", ["-5", "+1 555 0100", "-", "'quoted'", "'", "plain", ""])
def test_guarding_and_unguarding_gives_back_every_value(value: str) -> None:
    assert unguard(guard(value)) == value


def test_a_quote_before_anything_but_a_formula_start_is_kept_on_import() -> None:
    assert unguard("'tis the season") == "'tis the season"
    assert unguard("'") == "'"


def test_the_reader_takes_the_guard_off_negative_numbers_and_phones() -> None:
    shape = inspect(stored("amount,phone,name\n'-5,'+1 555 0100,'=1+1\n"))
    row = next(read_rows(stored("amount,phone,name\n'-5,'+1 555 0100,'=1+1\n"), shape))
    assert row.values == {"amount": "-5", "phone": "+1 555 0100", "name": "=1+1"}


def test_an_export_guards_formulas_and_reimports_every_value_unchanged(company: Company) -> None:
    values = {
        "company": DANGEROUS[0],
        "title": DANGEROUS[1],
        "description": "+1+2",
        "city": "-5",
        "street": "@SUM(1+1)",
        "phone": "+1 555 0100",
        "email": "lena@globex.example",
    }
    company.lead(company.alice, **values)
    text = "".join(csv_lines("leads", export_queryset("leads", company.ada, {})))
    row = next(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    for name, value in values.items():
        exported = row[name]
        assert not exported.startswith(("=", "+", "-", "@")), (name, exported)
        assert unguard(exported) == value

    Lead.objects.all().delete()
    job = run_import(company.ada, text)
    assert (job.created, job.invalid) == (1, 0), list(job.row_errors.values_list("reason"))
    lead = Lead.objects.get()
    assert {name: getattr(lead, name) for name in values} == values


def test_the_error_report_guards_the_values_it_quotes(company: Company) -> None:
    job = run_import(company.ada, 'Last Name,Company,Email\nLee,Acme,"=1+1"\n')
    assert job.invalid == 1
    report = "".join(error_lines(job))
    assert "'=1+1" in report
    assert ",=1+1" not in report
