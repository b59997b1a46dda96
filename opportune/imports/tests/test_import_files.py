"""Files as they come: encodings, delimiters, quoted newlines, a 10 MB line, a file of
100,000 invalid rows, and an import that crashes half-way and resumes without doubles."""

from __future__ import annotations

import codecs
from typing import Any

import pytest

from conftest import Company
from opportune.imports import services
from opportune.imports.models import ImportJob, JobStatus
from opportune.imports.reading import UnreadableFile, detect_encoding
from opportune.imports.services import create_job, run_job
from opportune.leads.models import Lead

from .helpers import issues, run_import, stored

ACCENTED = "Last Name,Company,City\nMüller,Bäckerei Größe,Zürich\n"


@pytest.mark.parametrize(
    "raw",
    [
        ACCENTED.encode("utf-8"),
        codecs.BOM_UTF8 + ACCENTED.encode("utf-8"),
        ACCENTED.encode("latin-1"),
        ACCENTED.encode("utf-16"),
    ],
    ids=["utf-8", "utf-8 with BOM", "latin-1", "utf-16"],
)
def test_it_reads_the_usual_encodings(company: Company, raw: bytes) -> None:
    job = run_import(company.mark, raw)
    assert (job.status, job.created) == ("done", 1)
    lead = Lead.objects.get()
    assert (lead.last_name, lead.company, lead.city) == ("Müller", "Bäckerei Größe", "Zürich")


def test_a_file_declared_in_the_wrong_encoding_is_refused_with_the_reason(company: Company) -> None:
    content = "Last Name,Company\nMüller,Acme\n"
    with pytest.raises(UnreadableFile) as refused:
        create_job(company.mark, "leads", stored(content, "latin-1"), "x.csv", encoding="utf-8")
    assert "cannot be read as utf-8" in refused.value.detail


def test_a_bad_byte_past_the_first_part_of_the_file_fails_only_its_row(company: Company) -> None:
    content = "Last Name,Company\n" + "A,Acme\n" * 40_000 + "Müller,Acme\nZ,Acme\n"
    job = create_job(
        company.mark, "leads", stored(content, "latin-1"), "x.csv", encoding="utf-8", dry_run=True
    )
    job = run_job(job.pk)
    assert (job.status, job.created, job.invalid) == (JobStatus.DONE, 40_001, 1)
    error = job.row_errors.get()
    assert error.line == 40_002
    assert "not valid utf-8" in error.reason


def test_a_binary_file_is_refused(company: Company) -> None:
    with pytest.raises(UnreadableFile):
        run_import(company.mark, b"PK\x03\x04\x00\x00binary")


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_it_finds_the_delimiter(company: Company, delimiter: str) -> None:
    content = (
        f"Last Name{delimiter}Company{delimiter}Title\nLee{delimiter}Acme, Inc.{delimiter}CTO\n"
    )
    job = run_import(company.mark, content)
    assert job.created == 1
    assert Lead.objects.get().company == "Acme, Inc."


def test_quoted_newlines_stay_in_their_field_and_lines_are_counted(company: Company) -> None:
    content = (
        'Last Name,Company,Description\nLee,Acme,"two\nlines"\n'
        'Ray,Acme,"three\nmore\nlines"\n,Acme,missing name\n'
    )
    job = run_import(company.mark, content)
    assert (job.created, job.invalid) == (2, 1)
    assert Lead.objects.get(last_name="Lee").description == "two\nlines"
    assert issues(job) == [(7, "Last Name", "invalid")]


def test_a_10_mb_line_is_one_row_error_and_the_other_rows_pass(company: Company) -> None:
    content = (
        "Last Name,Company,Description\nA,Acme,ok\nB,Acme," + "x" * 10_000_000 + "\nC,Acme,ok\n"
    )
    job = run_import(company.mark, content)
    assert (job.created, job.invalid) == (2, 1)
    error = job.row_errors.get()
    assert error.line == 3
    assert "field larger than field limit" in error.reason


def test_100000_invalid_rows_are_each_reported(company: Company) -> None:
    content = "Last Name,Company,Email\n" + "Lee,Acme,not-an-email\n" * 100_000
    job = run_import(company.mark, content, dry_run=True)
    assert (job.status, job.invalid, job.created, job.rows_done) == ("done", 100_000, 0, 100_000)
    assert job.row_errors.count() == 100_000
    last = job.row_errors.order_by("-line").first()
    assert last is not None and last.line == 100_001


def test_an_import_resumes_after_a_crash_without_inserting_twice(
    company: Company, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "BATCH_ROWS", 3)
    content = "Last Name,Company,Email\n" + "".join(
        f"L{n},Acme,l{n}@acme.example\n" for n in range(10)
    )
    job = create_job(company.mark, "leads", stored(content), "x.csv")
    real_commit = services._commit
    calls = {"n": 0}

    def crash_on_third(*args: Any, **kwargs: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("worker killed")
        return real_commit(*args, **kwargs)

    monkeypatch.setattr(services, "_commit", crash_on_third)
    with pytest.raises(RuntimeError):
        run_job(job.pk)
    job.refresh_from_db()
    assert (job.status, job.rows_done, Lead.objects.count()) == ("failed", 6, 6)

    monkeypatch.setattr(services, "_commit", real_commit)
    job = run_job(job.pk)
    assert (job.status, job.rows_done, job.created) == ("done", 10, 10)
    assert sorted(Lead.objects.values_list("last_name", flat=True)) == sorted(
        f"L{n}" for n in range(10)
    )


def test_a_finished_job_is_not_run_again(company: Company) -> None:
    job = run_import(company.mark, "Last Name,Company\nA,Acme\n")
    assert run_job(job.pk).created == 1
    assert Lead.objects.count() == 1
    assert ImportJob.objects.get().status == "done"


def test_a_cp1252_file_is_read_as_cp1252_not_latin_1(company: Company) -> None:
    content = "Last Name,Company,Description\nO\u2019Neil,Acme,\u201cbest\u201d for 5\u20ac\n"
    job = run_import(company.mark, content, encoding="cp1252")
    assert (job.status, job.encoding, job.created) == ("done", "cp1252", 1)
    lead = Lead.objects.get()
    assert (lead.last_name, lead.description) == ("O\u2019Neil", "\u201cbest\u201d for 5\u20ac")


@pytest.mark.parametrize(
    ("encoding", "last_name", "company_name"),
    [
        ("cp1251", "Петров", "Газпром Нефть"),
        ("shift_jis", "山田", "株式会社テスト"),
        ("gb18030", "张伟", "北京科技有限公司"),
    ],
)
def test_a_file_in_another_script_is_detected_by_charset_normalizer(
    company: Company, encoding: str, last_name: str, company_name: str
) -> None:
    rows = [f"{last_name}{n},{company_name} {n}" for n in range(20)]
    content = ("Last Name,Company\n" + "\n".join(rows) + "\n").encode(encoding)
    job = run_import(company.mark, content)
    assert (job.status, job.created) == ("done", 20)
    assert Lead.objects.filter(last_name=f"{last_name}0", company=f"{company_name} 0").exists()


def test_detection_keeps_western_files_western_where_statistics_guess_cp1250() -> None:
    """charset-normalizer takes these small cp1252 and latin-1 samples for cp1250 or cp775."""
    assert (
        detect_encoding(
            "First,Company\n\u201cZo\u00eb\u201d,Caf\u00e9 \u2013 Paris \u20ac\n".encode("cp1252")
        )
        == "cp1252"
    )
    assert (
        detect_encoding("First,Company\nZo\u00eb,Caf\u00e9 Paris\n".encode("latin-1")) == "latin-1"
    )


def test_an_unknown_encoding_name_is_refused_naming_the_file(company: Company) -> None:
    with pytest.raises(UnreadableFile) as refused:
        create_job(company.mark, "leads", stored(ACCENTED), "x.csv", encoding="klingon")
    assert "'klingon' is not an encoding" in refused.value.detail
    assert list(refused.value.errors) == ["file"]


def test_an_unterminated_quote_is_a_row_error_and_the_next_lines_still_import(
    company: Company,
) -> None:
    content = 'Last Name,Company,Description\nA,Acme,ok\nB,Acme,"never closed\n' + "".join(
        f"L{i},Acme,fine\n" for i in range(1500)
    )
    job = run_import(company.mark, content)
    assert (job.status, job.created, job.invalid) == ("done", 1501, 1)
    error = job.row_errors.get()
    assert error.line == 3
    assert "unterminated quote" in error.reason
    assert Lead.objects.filter(last_name="L0").exists()


def test_an_unterminated_quote_near_the_end_is_a_row_error(company: Company) -> None:
    content = 'Last Name,Company,Description\nA,Acme,"open\nB,Acme,ok\nC,Acme,ok\n'
    job = run_import(company.mark, content)
    assert (job.status, job.created, job.invalid, job.total_rows) == ("done", 2, 1, 3)
    assert [(e.line, "unterminated quote" in e.reason) for e in job.row_errors.all()] == [(2, True)]
    assert sorted(Lead.objects.values_list("last_name", flat=True)) == ["B", "C"]


def test_a_header_line_over_the_sample_size_is_refused_naming_the_file(company: Company) -> None:
    content = "Last Name,Company," + "x" * 10_000_000 + "\nA,Acme,ok\n"
    with pytest.raises(UnreadableFile) as refused:
        create_job(company.mark, "leads", stored(content), "x.csv")
    assert "The first line is longer than 256 KB" in refused.value.detail
    assert list(refused.value.errors) == ["file"]


def test_a_quoted_note_of_many_lines_still_imports(company: Company) -> None:
    note = "\n".join(f"line {i}" for i in range(900))
    content = f'Last Name,Company,Description\nA,Acme,"{note}"\nB,Acme,ok\n'
    job = run_import(company.mark, content)
    assert (job.created, job.invalid) == (2, 0)
    assert Lead.objects.get(last_name="A").description == note


def test_an_open_quote_past_1_mb_is_an_unterminated_quote_row_error(company: Company) -> None:
    long_lines = "".join(f"{i},Acme,{'y' * 5000}\n" for i in range(300))
    content = 'Last Name,Company,Description\nA,Acme,"open\n' + long_lines
    job = run_import(company.mark, content)
    assert (job.created, job.invalid) == (300, 1)
    error = job.row_errors.get()
    assert (error.line, "unterminated quote" in error.reason) == (2, True)
