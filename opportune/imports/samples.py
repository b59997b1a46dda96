"""Import every vendor sample export (``tests/samples/``) the way a user moving in would, and
print the reports: the evidence that Salesforce, HubSpot and Pipedrive files import with zero
invalid rows (``bin/import-samples``; ``tests/test_import_samples.py`` runs it).

One installation takes all three vendors: the owners the files name ("Alice Adams", "Bob
Brown"; Salesforce's owner ids map onto their usernames) are created first, then each file
is imported with ``--dry-run`` and for real through the ``opportune import`` command, in the
order references need (accounts before the contacts and deals naming them, activities last).
The Salesforce Data Loader leads follow the lead report with ``--match email``: the same
people, updated, and their Salesforce ids recorded for the tasks that name them.
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

SAMPLES = Path(__file__).parent / "tests" / "samples"
OWNERS = ("alice", "Alice", "Adams"), ("bob", "Bob", "Brown")
ACTOR = "import-samples"  # the admin the imports run as
_SF_OWNERS = ("--mapping", str(SAMPLES / "salesforce" / "owners.json"))
# (target, sample file, options), in the order the references need.
PLAN: list[tuple[str, str, tuple[str, ...]]] = [
    ("leads", "salesforce/lead-report.csv", ()),
    ("leads", "salesforce/dataloader-leads.csv", (*_SF_OWNERS, "--match", "email")),
    ("accounts", "salesforce/dataloader-accounts.csv", _SF_OWNERS),
    ("contacts", "salesforce/dataloader-contacts.csv", _SF_OWNERS),
    (
        "opportunities",
        "salesforce/dataloader-opportunities.csv",
        ("--mapping", str(SAMPLES / "salesforce" / "opportunities.json")),
    ),
    ("activities", "salesforce/dataloader-tasks.csv", _SF_OWNERS),
    ("activities", "salesforce/dataloader-events.csv", _SF_OWNERS),
    ("accounts", "hubspot/companies.csv", ()),
    ("leads", "hubspot/contacts.csv", ()),
    ("contacts", "hubspot/contacts.csv", ()),
    ("opportunities", "hubspot/deals.csv", ()),
    ("activities", "hubspot/activities.csv", ()),
    ("leads", "pipedrive/leads.csv", ()),
    ("accounts", "pipedrive/organizations.csv", ()),
    ("contacts", "pipedrive/persons.csv", ()),
    ("opportunities", "pipedrive/deals.csv", ()),
    ("activities", "pipedrive/activities.csv", ()),
]


@dataclass(frozen=True)
class Outcome:
    """One file's dry run and import, as the table at the end shows them."""

    target: str
    sample: str
    rows: int
    dry_invalid: int
    created: int
    updated: int
    invalid: int
    status: str


def _users(out: TextIO) -> None:
    """The admin and the owners, unless the installation has them already."""
    from opportune.cli import main
    from opportune.identity.models import User

    people = [(ACTOR, "admin", "", ""), *((u, "sales_rep", f, la) for u, f, la in OWNERS)]
    for username, role, first, last in people:
        if User.objects.filter(username=username).exists():
            continue
        names = ["--first-name", first, "--last-name", last] if first else []
        argv = ["user", "add", "--role", role, "--password", "Moving in from 3 CRMs", *names]
        with contextlib.redirect_stdout(out):
            if main([*argv, username]) != 0:
                raise RuntimeError(f"Could not create the user '{username}'.")


def _import(target: str, sample: str, options: tuple[str, ...], dry_run: bool, out: TextIO) -> int:
    """One ``opportune import`` run, its report written to ``out``; the job's id."""
    from opportune.cli import main

    from .models import ImportJob

    argv = ["import", target, str(SAMPLES / sample), "--user", ACTOR, "--quiet", *options]
    argv += ["--dry-run"] if dry_run else []
    shown = " ".join(["opportune", *argv]).replace(str(SAMPLES) + "/", "samples/")
    out.write(f"$ {shown}\n")
    before = ImportJob.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    report = io.StringIO()
    with contextlib.redirect_stdout(report), contextlib.redirect_stderr(report):
        main(argv)
    out.write(report.getvalue())
    job = ImportJob.objects.filter(pk__gt=before).order_by("-pk").values_list("pk", flat=True)
    if not job:  # the file was refused before any row: its reason is in the report
        raise RuntimeError(f"{sample} was refused: {report.getvalue().strip()}")
    return job[0]


def import_samples(out: TextIO) -> list[Outcome]:
    """Every sample, dry run then import; the table of outcomes written last."""
    from .models import ImportJob

    _users(out)
    outcomes = []
    for target, sample, options in PLAN:
        dry = ImportJob.objects.get(pk=_import(target, sample, options, True, out))
        real = ImportJob.objects.get(pk=_import(target, sample, options, False, out))
        outcomes.append(
            Outcome(
                target,
                sample,
                real.rows_done,
                dry.invalid,
                real.created,
                real.updated,
                real.invalid,
                real.status,
            )
        )
    out.write("\n" + "\n".join(table(outcomes)) + "\n")
    return outcomes


def table(outcomes: list[Outcome]) -> list[str]:
    head = f"{'file':40} {'as':13} {'rows':>4} {'created':>7} {'updated':>7} {'invalid':>7}"
    lines = [head, "-" * len(head)]
    for o in outcomes:
        invalid = f"{o.dry_invalid}/{o.invalid}"  # dry run / import
        lines.append(
            f"{o.sample:40} {o.target:13} {o.rows:>4} {o.created:>7} {o.updated:>7} {invalid:>7}"
        )
    lines.append("invalid: dry run/import")
    return lines
