"""Importing a large lead CSV, against a raw baseline measured in the same run.

    python benchmarks/import.py [--rows 1000000] [--databases sqlite,postgres] [--xlsx]
                                [--postgres-url postgres://opportune:opportune@localhost:5432/opportune]

Generates a lead CSV (names, company, email, phone in several formats, address, source,
industry, employees, revenue; one row in 200 repeats an earlier email), then for each
database, on a fresh schema with every migration applied:

- raw: Python's csv reader feeding multi-row ``INSERT`` statements (SQLite) or ``COPY``
  (PostgreSQL) into the same leads table with the same indexes, committing every 2,000
  rows; its match-key columns get stand-ins (the lowercased email, the phone as
  written...), so that both fill the same indexes with as many distinct values;
- import: Opportune's importer (``opportune import leads``): mapping, validation by the
  shared ``LeadCreate`` schema, normalization and match keys (E.164 phones), in-file and
  existing duplicates on email and phone, a round-robin assignment rule, batches of 2,000
  rows each committed with the job's progress;
- a duplicate check on create (``find_duplicates``) against the imported table;
- an update: 20,000 of the leads (``--update-rows``) imported again, matched on email with a
  new title, against a raw ``UPDATE ... WHERE email_key = ?`` fed by ``executemany``.

With ``--xlsx``, the same rows are also written as an Excel workbook the way Excel writes
one (text in a shared strings table: names, companies and cities shared, every email and
phone its own entry; numbers as numbers) and imported (``opportune import leads
leads.xlsx``), against a raw baseline reading it with openpyxl's own read-only mode (shared
strings held in memory) feeding the same inserts; the target is an import under 300 MB.

Each phase runs in its own process, so its peak memory (max RSS) is its own; the import's
helper processes (``OPPORTUNE_IMPORT_HELPERS``) report theirs apart. Prints rows per second,
peak memory and the import/raw throughput ratio.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FIRST = ["Ada", "Alan", "Grace", "Linus", "Ken", "Barbara", "Donald", "Edsger", "Frances"]
LAST = ["Lovelace", "Turing", "Hopper", "Torvalds", "Thompson", "Liskov", "Knuth", "Dijkstra"]
COMPANIES = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Vandelay", "Stark", "Wonka"]
SUFFIXES = ["", " Inc", " Ltd", " GmbH", " Corp"]
CITIES = [("Springfield", "IL", "US"), ("London", "", "GB"), ("Pune", "MH", "India")]
SOURCES = ["Web", "Event", "Partner Referral", "Cold Call", "Advertisement", "Email", ""]
INDUSTRIES = ["Software", "Retail", "Banking", "Healthcare", "Education"]
HEADERS = [
    "First Name", "Last Name", "Company", "Email", "Phone", "City", "State", "Country",
    "Lead Source", "Industry", "Employees", "Annual Revenue",
]  # fmt: skip
BATCH = 2000


def generate(path: Path, rows: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADERS)
        for n in range(rows):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            company = f"{rng.choice(COMPANIES)} {n % 50_000}{rng.choice(SUFFIXES)}"
            email_n = n - 1 if n % 200 == 199 else n  # one in 200 repeats the row before
            email = f"lead.{email_n}@example{email_n % 997}.com"
            city, state, country = rng.choice(CITIES)
            digits = f"{n % 10_000_000:07d}"
            phone = rng.choice(
                [
                    f"(415) {digits[:3]}-{digits[3:]}",
                    f"+1 212 {digits[:3]} {digits[3:]}",
                    f"+1650{digits}",
                    "",
                ]
            )
            if country == "GB" and phone:
                phone = f"+44 20 {digits[:3]}{digits[3]} {digits[4:]}0"
            writer.writerow(
                [
                    first, last, company, email, phone, city, state, country,
                    rng.choice(SOURCES), rng.choice(INDUSTRIES),
                    rng.choice(["", str(rng.randint(1, 50_000))]),
                    rng.choice(["", f"{rng.randint(10, 90_000)}000"]),
                ]
            )  # fmt: skip


# Columns whose values repeat (Excel stores each distinct text once); the others' texts are
# written as new shared strings, as every email and phone of a real file is distinct.
SHARED_COLUMNS = {0, 1, 2, 5, 6, 7, 8, 9}
NUMBER_COLUMNS = {10, 11}


def _xml_text(value: str) -> str:
    from xml.sax.saxutils import escape

    return escape(value)


def generate_xlsx(csv_path: Path, xlsx_path: Path) -> None:
    """The CSV's rows as a one-sheet workbook with a shared strings table, streamed."""
    import zipfile

    from openpyxl.utils import get_column_letter

    letters = [get_column_letter(i + 1) for i in range(len(HEADERS))]
    strings: dict[str, int] = {}
    count = 0
    with tempfile.TemporaryDirectory() as scratch:
        sheet_path, sst_path = Path(scratch) / "sheet.xml", Path(scratch) / "sst.xml"
        with (
            csv_path.open(encoding="utf-8", newline="") as source,
            sheet_path.open("w", encoding="utf-8") as sheet,
            sst_path.open("w", encoding="utf-8") as sst,
        ):

            def shared(value: str, reuse: bool) -> int:
                nonlocal count
                if reuse and value in strings:
                    return strings[value]
                sst.write(f'<si><t xml:space="preserve">{_xml_text(value)}</t></si>')
                count += 1
                if reuse:
                    strings[value] = count - 1
                return count - 1

            rows = list(csv.reader([next(source)]))
            total = sum(1 for _ in source)
            source.seek(0)
            next(source)
            sheet.write(
                '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                f'<dimension ref="A1:{letters[-1]}{total + 1}"/><sheetData>'
            )
            # Streamed: a list of the rows would make this process big, and a phase started
            # from it (vfork, then exec) reports this process's peak as its own.
            for number, cells in enumerate(itertools.chain(rows, csv.reader(source)), start=1):
                out = []
                for column, value in enumerate(cells):
                    ref = f"{letters[column]}{number}"
                    if not value:
                        continue
                    if number > 1 and column in NUMBER_COLUMNS:
                        out.append(f'<c r="{ref}"><v>{value}</v></c>')
                    else:
                        index = shared(value, number == 1 or column in SHARED_COLUMNS)
                        out.append(f'<c r="{ref}" t="s"><v>{index}</v></c>')
                sheet.write(f'<row r="{number}">{"".join(out)}</row>')
            sheet.write("</sheetData></worksheet>")
        main_ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
        rel_ns = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
        package_rels = "http://schemas.openxmlformats.org/package/2006/relationships"
        office = "application/vnd.openxmlformats-officedocument.spreadsheetml"
        with zipfile.ZipFile(xlsx_path, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(
                "[Content_Types].xml",
                '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                '<Default Extension="rels" ContentType="application/vnd.openxmlformats-'
                'package.relationships+xml"/>'
                '<Default Extension="xml" ContentType="application/xml"/>'
                f'<Override PartName="/xl/workbook.xml" ContentType="{office}.sheet.main+xml"/>'
                '<Override PartName="/xl/worksheets/sheet1.xml" '
                f'ContentType="{office}.worksheet+xml"/>'
                '<Override PartName="/xl/sharedStrings.xml" '
                f'ContentType="{office}.sharedStrings+xml"/></Types>',
            )
            archive.writestr(
                "_rels/.rels",
                f'<Relationships xmlns="{package_rels}"><Relationship Id="rId1" '
                f'Type="{rel_ns}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
            )
            archive.writestr(
                "xl/workbook.xml",
                f'<workbook xmlns="{main_ns}" xmlns:r="{rel_ns}"><sheets>'
                '<sheet name="Leads" sheetId="1" r:id="rId1"/></sheets></workbook>',
            )
            archive.writestr(
                "xl/_rels/workbook.xml.rels",
                f'<Relationships xmlns="{package_rels}">'
                f'<Relationship Id="rId1" Type="{rel_ns}/worksheet" '
                'Target="worksheets/sheet1.xml"/>'
                f'<Relationship Id="rId2" Type="{rel_ns}/sharedStrings" '
                'Target="sharedStrings.xml"/></Relationships>',
            )
            with archive.open("xl/sharedStrings.xml", "w") as part:
                part.write(
                    f'<sst xmlns="{main_ns}" count="{count}" uniqueCount="{count}">'.encode()
                )
                with sst_path.open("rb") as entries:
                    while chunk := entries.read(1 << 20):
                        part.write(chunk)
                part.write(b"</sst>")
            archive.write(sheet_path, "xl/worksheets/sheet1.xml")


def _xlsx_rows(path: str) -> Iterator[list[Any]]:
    """The workbook's rows after the header, as openpyxl reads them by default."""
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    rows = book.worksheets[0].iter_rows(values_only=True)
    next(rows)
    for row in rows:
        cells = ["" if value is None else value for value in row]
        yield cells + [""] * (len(HEADERS) - len(cells))


def _setup_django(database_url: str, data_dir: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["OPPORTUNE_DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opportune.settings")
    os.environ["OPPORTUNE_LOG_LEVEL"] = "WARNING"
    import django

    django.setup()


def _peak_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def phase_setup() -> dict:
    from django.core.management import call_command

    from opportune.capture.models import AssignmentRule
    from opportune.identity.models import Role, Team, User

    call_command("migrate", verbosity=0)
    _truncate()  # a work dir reused from an earlier run may hold a million leads
    team, _ = Team.objects.get_or_create(name="Inbound")
    for name in ("rep1", "rep2", "rep3"):
        User.objects.get_or_create(username=name, defaults={"role": Role.SALES_REP, "team": team})
    User.objects.get_or_create(
        username="bench-admin", defaults={"role": Role.ADMIN, "is_superuser": True}
    )
    AssignmentRule.objects.get_or_create(name="Inbound round robin", round_robin_team=team)
    return {}


def _truncate() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("TRUNCATE leads_lead RESTART IDENTITY CASCADE")
        else:
            cursor.execute("DELETE FROM leads_lead")


def phase_raw(csv_path: str) -> dict:
    """The floor: parse with csv, insert the same columns into the same table, no checks."""
    from django.db import connection, transaction
    from django.utils import timezone

    from opportune.leads.models import LeadStatus

    _truncate()
    status = LeadStatus.objects.get(is_default=True).pk
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    names = [
        "first_name", "last_name", "company", "email", "phone", "city", "state", "country",
        "source", "industry", "employees", "annual_revenue",
    ]  # fmt: skip
    fixed = {
        "status_id": status, "created_at": now, "updated_at": now, "title": "", "website": "",
        "street": "", "postal_code": "", "campaign": "", "utm_source": "", "utm_medium": "",
        "utm_campaign": "", "rating": "", "description": "", "do_not_call": False,
        "email_opt_out": False, "budget_confirmed": False, "decision_maker": "",
        "decision_maker_title": "", "authority_confirmed": False, "need_description": "",
        "need_identified": False, "disqualify_reason": "", "is_converted": False,
        "custom": "{}", "score_reasons": "[]",
    }  # fmt: skip
    # The match keys get stand-ins of the same shape (the work of deriving the real ones is
    # the importer's), so both fill the same indexes with as many distinct values.
    keys = ["email_key", "phone_key", "name_key", "company_key"]
    columns = names + list(fixed) + keys
    tail = tuple(fixed.values())
    started = time.perf_counter()
    count = 0
    text_path = os.devnull if csv_path.endswith(".xlsx") else csv_path
    with open(text_path, encoding="utf-8", newline="") as source:
        reader: Iterator[list[Any]] = csv.reader(source)
        if csv_path.endswith(".xlsx"):
            reader = _xlsx_rows(csv_path)
        else:
            next(reader)
        batch: list[tuple] = []

        def flush() -> None:
            with transaction.atomic(), connection.cursor() as cursor:
                if connection.vendor == "postgresql":
                    sql = f"COPY leads_lead ({', '.join(columns)}) FROM STDIN"
                    with cursor.cursor.copy(sql) as copy:
                        for row in batch:
                            copy.write_row(row)
                else:  # multi-row statements, as the importer's (one FTS5 flush per statement)
                    width, per = len(columns), 500
                    row = "(" + ", ".join(["%s"] * width) + ")"
                    for start in range(0, len(batch), per):
                        chunk = batch[start : start + per]
                        cursor.execute(
                            f"INSERT INTO leads_lead ({', '.join(columns)}) VALUES "
                            + ", ".join([row] * len(chunk)),
                            [cell for cells in chunk for cell in cells],
                        )

        for cells in reader:
            first, last, company, email, phone = cells[:5]
            cells[10] = cells[10] or None  # type: ignore[call-overload]
            cells[11] = cells[11] or None  # type: ignore[call-overload]
            stand_ins = (email.lower(), phone, f"{first} {last}".lower(), company.lower())
            batch.append((*cells, *tail, *stand_ins))
            count += 1
            if len(batch) == BATCH:
                flush()
                batch = []
        if batch:
            flush()
    seconds = time.perf_counter() - started
    return {"rows": count, "seconds": seconds, "peak_mb": _peak_mb()}


def phase_import(csv_path: str) -> dict:
    from django.db.models import Count

    from opportune.identity.models import User
    from opportune.imports.checking import helper_count
    from opportune.imports.services import create_job, run_job, store_file
    from opportune.leads.models import Lead

    _truncate()
    actor = User.objects.get(username="bench-admin")
    with open(csv_path, "rb") as source:
        upload = store_file(source)  # as an upload arrives, before the import starts
    started = time.perf_counter()
    job = create_job(actor, "leads", upload, Path(csv_path).name)
    job = run_job(job.pk)
    seconds = time.perf_counter() - started
    counted = Lead.objects.values_list("owner__username").annotate(n=Count("id")).order_by()
    owners = {name: n for name, n in counted}
    return {
        "rows": job.rows_done,
        "seconds": seconds,
        "peak_mb": _peak_mb(),
        "helper_peak_mb": _peak_mb(resource.RUSAGE_CHILDREN),  # the largest helper
        "helpers": helper_count(),
        "created": job.created,
        "skipped": job.skipped,
        "invalid": job.invalid,
        "possible_duplicates": job.possible_duplicates,
        "status": job.status,
        "owners": owners,
    }


def phase_update(rows: int) -> dict:
    """Re-importing ``rows`` leads matched on email with a new title, against a raw
    ``UPDATE ... WHERE email_key = ?`` fed by ``executemany``, committing every 2,000 rows."""
    from django.db import connection, transaction
    from django.utils import timezone

    from opportune.identity.models import User
    from opportune.imports.services import create_job, run_job, store_upload
    from opportune.leads.models import Lead

    leads = list(Lead.objects.order_by("pk").values_list("last_name", "company", "email")[:rows])
    started = time.perf_counter()
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    for start in range(0, len(leads), BATCH):
        batch = [("Raw title", now, email.lower()) for _, _, email in leads[start : start + BATCH]]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(
                "UPDATE leads_lead SET title = %s, updated_at = %s WHERE email_key = %s", batch
            )
    raw_seconds = time.perf_counter() - started

    lines = ["Last Name,Company,Email,Title"]
    lines += [f"{last},{company},{email},Imported title" for last, company, email in leads]
    upload = store_upload([("\n".join(lines) + "\n").encode()])
    actor = User.objects.get(username="bench-admin")
    started = time.perf_counter()
    job = run_job(create_job(actor, "leads", upload, "update.csv", match_key="email").pk)
    return {
        "rows": len(leads),
        "updated": job.updated,
        "seconds": time.perf_counter() - started,
        "raw_seconds": raw_seconds,
    }


def phase_dupcheck() -> dict:
    from opportune.capture.duplicates import find_duplicates
    from opportune.identity.models import User
    from opportune.leads.models import Lead, LeadStatus

    actor = User.objects.get(username="bench-admin")
    status = LeadStatus.objects.get(is_default=True)
    total = Lead.objects.count()
    probes = [
        Lead(first_name="Ada", last_name="Lovelace", company="Acme 123 Inc",
             email=f"lead.{n * 997}@example0.com",
             phone="(415) 555-0100", status=status)
        for n in range(30)
    ]  # fmt: skip
    times, found = [], 0
    for lead in probes:
        started = time.perf_counter()
        found += len(find_duplicates(actor, lead))
        times.append((time.perf_counter() - started) * 1000)
    return {"leads": total, "median_ms": statistics.median(times), "max_ms": max(times)}


def _run_phase(
    phase: str, database_url: str, data_dir: str, csv_path: str, update_rows: int = 0
) -> dict:
    command = [
        sys.executable, __file__, "--phase", phase, "--database-url", database_url,
        "--data-dir", data_dir, "--csv", csv_path, "--update-rows", str(update_rows),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"phase {phase} failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "OPPORTUNE_TEST_POSTGRES_URL", "postgres://opportune:opportune@localhost:5432/opportune"
        ),
    )
    parser.add_argument(
        "--work-dir", help="where the CSV and SQLite files go (default: a temp dir)"
    )
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", help=argparse.SUPPRESS)
    parser.add_argument("--csv", help=argparse.SUPPRESS)
    parser.add_argument(
        "--update-rows", type=int, default=20_000, help="leads re-imported to update them"
    )
    parser.add_argument("--xlsx", action="store_true", help="also import the rows as .xlsx")
    parser.add_argument("--xlsx-only", action="store_true", help="only the .xlsx import")
    args = parser.parse_args()

    if args.phase:
        _setup_django(args.database_url, args.data_dir)
        phases = {
            "setup": phase_setup,
            "raw": lambda: phase_raw(args.csv),
            "import": lambda: phase_import(args.csv),
            "dupcheck": phase_dupcheck,
            "update": lambda: phase_update(args.update_rows),
        }
        print(json.dumps(phases[args.phase]()))
        return

    work = Path(args.work_dir or tempfile.mkdtemp(prefix="opportune-import-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    csv_path = work / "leads.csv"
    started = time.perf_counter()
    generate(csv_path, args.rows)
    size_mb = csv_path.stat().st_size / 1e6
    print(
        f"Generated {args.rows:,} rows ({size_mb:,.0f} MB) in {time.perf_counter() - started:.0f} s"
        f" — {work}"
    )
    xlsx_path = work / "leads.xlsx"
    if args.xlsx or args.xlsx_only:
        started = time.perf_counter()
        generate_xlsx(csv_path, xlsx_path)
        print(
            f"Wrote them as {xlsx_path.name} ({xlsx_path.stat().st_size / 1e6:,.0f} MB) in "
            f"{time.perf_counter() - started:.0f} s"
        )
    for database in args.databases.split(","):
        data_dir = str(work / database)
        if database == "sqlite":
            url = f"sqlite:///{work / database / 'bench.sqlite3'}"
        else:
            url = _bench_postgres_url(args.postgres_url)
        _run_phase("setup", url, data_dir, str(csv_path))
        if args.xlsx_only:
            print(f"\n{database}:")
            _report_xlsx(url, data_dir, str(xlsx_path))
            continue
        raw = _run_phase("raw", url, data_dir, str(csv_path))
        imported = _run_phase("import", url, data_dir, str(csv_path))
        check = _run_phase("dupcheck", url, data_dir, str(csv_path))
        update = _run_phase("update", url, data_dir, str(csv_path), args.update_rows)
        raw_rate = raw["rows"] / raw["seconds"]
        import_rate = imported["rows"] / imported["seconds"]
        print(f"\n{database}:")
        print(
            f"  raw baseline  {raw['rows']:>9,} rows in {raw['seconds']:7.1f} s = "
            f"{raw_rate:>8,.0f} rows/s, peak memory {raw['peak_mb']:5.0f} MB"
        )
        print(
            f"  import        {imported['rows']:>9,} rows in {imported['seconds']:7.1f} s = "
            f"{import_rate:>8,.0f} rows/s, peak memory {imported['peak_mb']:5.0f} MB "
            f"(helpers: {imported['helpers']}, the largest {imported['helper_peak_mb']:.0f} MB)"
        )
        print(
            f"  ratio import/raw {import_rate / raw_rate:.2f}; created {imported['created']:,}, "
            f"skipped {imported['skipped']:,} (in-file duplicates), invalid "
            f"{imported['invalid']:,}, possible duplicates {imported['possible_duplicates']:,}"
        )
        print(f"  owners by round robin: {imported['owners']}")
        print(
            f"  duplicate check on create over {check['leads']:,} leads: median "
            f"{check['median_ms']:.2f} ms, max {check['max_ms']:.2f} ms"
        )
        if args.xlsx:
            _report_xlsx(url, data_dir, str(xlsx_path))
        update_rate = update["updated"] / update["seconds"]
        raw_update_rate = update["rows"] / update["raw_seconds"]
        print(
            f"  update by email {update['updated']:>7,} leads: {update_rate:>8,.0f} rows/s "
            f"against {raw_update_rate:,.0f} for a raw UPDATE (ratio "
            f"{update_rate / raw_update_rate:.2f})"
        )


def _report_xlsx(url: str, data_dir: str, xlsx_path: str) -> None:
    raw = _run_phase("raw", url, data_dir, xlsx_path)
    imported = _run_phase("import", url, data_dir, xlsx_path)
    raw_rate = raw["rows"] / raw["seconds"]
    import_rate = imported["rows"] / imported["seconds"]
    print(
        f"  xlsx raw (openpyxl read-only, shared strings in memory) {raw['rows']:>9,} rows in "
        f"{raw['seconds']:7.1f} s = {raw_rate:>8,.0f} rows/s, peak memory {raw['peak_mb']:5.0f} MB"
    )
    print(
        f"  xlsx import   {imported['rows']:>9,} rows in {imported['seconds']:7.1f} s = "
        f"{import_rate:>8,.0f} rows/s, peak memory {imported['peak_mb']:5.0f} MB "
        f"(helpers: {imported['helpers']}, the largest {imported['helper_peak_mb']:.0f} MB); "
        f"ratio import/raw {import_rate / raw_rate:.2f}; created {imported['created']:,}, "
        f"invalid {imported['invalid']:,}"
    )


def _bench_postgres_url(base: str) -> str:
    """A database of its own beside the given one (created if missing)."""
    import psycopg

    name = "opportune_import_bench"
    root, _, _ = base.rpartition("/")
    with psycopg.connect(f"{root}/postgres", autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')
    return f"{root}/{name}"


if __name__ == "__main__":
    main()
