"""Set-based lead scoring (re-score after a fit, imports) gives what scoring one lead on
write gives, with a constant number of queries."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from opportune.activities.models import Activity
from opportune.customfields.models import CustomField, FieldType, Kind, PicklistValue
from opportune.leads.models import Lead, LeadStatus
from opportune.scoring import core, rescore
from opportune.scoring import leads as scoring

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def custom_world(n: int = 320) -> None:
    """Leads with every kind of custom field; referrals and long visits convert."""
    CustomField.objects.create(kind=Kind.LEAD, key="visits", label="Visits", type=FieldType.NUMBER)
    CustomField.objects.create(kind=Kind.LEAD, key="ad", label="Saw ad", type=FieldType.CHECKBOX)
    CustomField.objects.create(kind=Kind.LEAD, key="first", label="First", type=FieldType.DATE)
    course = CustomField.objects.create(
        kind=Kind.LEAD, key="course", label="Course", type=FieldType.PICKLIST
    )
    for i, key in enumerate(("data", "ops", "art")):
        PicklistValue.objects.create(field=course, key=key, label=key.title(), position=i)
    converted = LeadStatus.converted()
    unqualified = LeadStatus.objects.get(key="unqualified")
    new = LeadStatus.default()
    leads = []
    for i in range(n):
        visits = (i * 7) % 23
        wins = (i % 3 == 0) or visits > 15
        closed = i < n - 60
        custom: dict[str, Any] = {"visits": visits if i % 11 else None, "ad": i % 4 == 0}
        if i % 5:
            custom["course"] = ("data", "ops", "art")[i % 3]
        if i % 7 == 0:
            custom["first"] = f"2025-{1 + i % 12:02d}-01"
        leads.append(
            Lead(
                last_name=f"L{i}",
                company=f"C{i}",
                title=("CEO", "Sales manager", "", "Intern")[i % 4],
                source=("referral", "web", "partner")[i % 3],
                country=("France", "India", "")[i % 5 % 3],
                email=f"x{i}@{'gmail.com' if i % 2 else 'acme.example'}",
                annual_revenue=(i * 1000) if i % 6 else None,
                do_not_call=i % 9 == 0,
                status=(converted if wins else unqualified) if closed else new,
                is_converted=closed and wins,
                converted_at=T0 + dt.timedelta(days=i) if closed and wins else None,
                custom=custom,
            )
        )
    Lead.objects.bulk_create(leads)
    some = list(Lead.objects.filter(status=new)[:10])
    Activity.objects.bulk_create(
        Activity(lead=lead, subject="Call", kind="call") for lead in some for _ in range(2)
    )


@pytest.mark.parametrize("kind", ["gradient boosting", "logistic (C=1)"])
def test_rescoring_all_open_leads_at_once_equals_scoring_each_on_write(
    kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(core, "CANDIDATES", {kind: core.CANDIDATES[kind]})
    custom_world()
    fitted = scoring.fit_leads(timezone.now())
    assert fitted.card["model"] == kind
    open_leads = list(Lead.objects.filter(status=LeadStatus.default()).order_by("pk"))
    bulk = {lead.pk: (lead.score, lead.score_reasons) for lead in open_leads}
    assert all(score is not None for score, _ in bulk.values())
    active = scoring.active_model()
    assert active is not None
    scoring._score_batch(open_leads, active[1], active[0])  # the on-write path, row by row
    one_by_one = {lead.pk: (lead.score, lead.score_reasons) for lead in open_leads}
    assert bulk == one_by_one


def test_rescoring_takes_two_queries_per_chunk_and_none_per_lead() -> None:
    custom_world()
    scoring.fit_leads(timezone.now(), rescore=False)
    rescore.score_open()  # loads the fit once per process
    Lead.objects.update(score=None)
    with CaptureQueriesContext(connection) as small:
        assert rescore.score_open(chunk=7) == 60  # 9 chunks
    with CaptureQueriesContext(connection) as large:
        assert rescore.score_open(chunk=1000) == 60  # 1 chunk
    # Read the chunk, copy its scores (PostgreSQL's COPY goes past Django's query log).
    per_chunk = 1 if connection.vendor == "postgresql" else 2
    assert len(small) - len(large) == per_chunk * (9 - 1)
    assert len(large) <= 12
    assert not Lead.objects.filter(status=LeadStatus.default(), score=None).exists()


def test_rescoring_only_the_given_leads_leaves_the_others() -> None:
    custom_world()
    scoring.fit_leads(timezone.now(), rescore=False)
    Lead.objects.update(score=None)
    ids = list(Lead.objects.filter(status=LeadStatus.default()).values_list("pk", flat=True))
    closed = Lead.objects.exclude(status=LeadStatus.default()).values_list("pk", flat=True)[0]
    assert rescore.score_open([*ids[:5], closed]) == 5
    assert Lead.objects.exclude(score=None).count() == 5


def test_import_rows_get_their_score_before_the_insert_without_a_query_per_row(
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    custom_world()
    scoring.fit_leads(timezone.now(), rescore=False)
    new = LeadStatus.default()
    converted = LeadStatus.converted()
    rows: list[dict[str, Any]] = [
        {"last_name": f"I{i}", "source": "referral", "status_id": new.pk, "custom": {"visits": i}}
        for i in range(50)
    ]
    rows.append({"last_name": "Old", "source": "web", "status_id": converted.pk})
    rescore.score_import_rows(rows[:1], timezone.now())  # loads the fit once per process
    with django_assert_num_queries(2):  # statuses, which fit is active (the rest is cached)
        rescore.score_import_rows(rows, timezone.now())
    assert all(0 <= row["score"] <= 100 for row in rows[:50])
    assert "score" not in rows[50]  # history lands as it was
    assert json.loads(rows[0]["score_reasons"])[0]["text"].endswith(")")


def _import(user: Any, n: int) -> None:
    from opportune.imports.tests.helpers import run_import

    lines = ["Last Name,Company,Source,Status"]
    lines += [f"Imp{i},Co{i},{'Referral' if i % 2 else 'Web'},New" for i in range(n)]
    lines += [f"Old{i},Co,Web,Unqualified" for i in range(3)]
    job = run_import(user, "\n".join(lines) + "\n")
    assert job.created == n + 3, (job.status, list(job.row_errors.values_list("reason")))


def test_an_import_batch_lands_scored_with_the_same_queries_for_10_or_40_leads(
    company: Any,
) -> None:
    custom_world()
    scoring.fit_leads(timezone.now(), rescore=False)
    _import(company.ada, 2)  # loads the fit once per process
    with CaptureQueriesContext(connection) as ten:
        _import(company.ada, 10)
    with CaptureQueriesContext(connection) as forty:
        _import(company.ada, 40)
    assert len(ten) == len(forty)
    imported = Lead.objects.filter(last_name__startswith="Imp", company__startswith="Co")
    assert imported.count() == 52 and not imported.filter(score=None).exists()
    referral = imported.filter(source="referral").first()
    assert referral is not None and referral.score_reasons[0]["text"].endswith(")")
    assert Lead.objects.filter(last_name__startswith="Old").exclude(score=None).count() == 0


def _statements(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"].upper()]


def test_scoring_a_written_lead_asks_only_which_fit_is_active_then_writes_once() -> None:
    custom_world()
    scoring.fit_leads(timezone.now(), rescore=False)
    lead = Lead.objects.select_related("status").filter(status=LeadStatus.default()).first()
    assert lead is not None
    scoring.score_written([lead], new=True)  # loads the fit once per process
    with CaptureQueriesContext(connection) as queries:
        scoring.score_written([lead], new=True)
    statements = _statements(queries)
    assert len(statements) == 2, statements  # no card, custom field or settings query
    assert "UPDATE" in statements[1]


def test_a_relabelled_picklist_value_shows_in_the_next_reasons_without_a_refit() -> None:
    custom_world()
    scoring.fit_leads(timezone.now(), rescore=False)
    active = scoring.active_model()
    assert active is not None
    assert active[1].labels["custom.course"][1]["data"] == "Data"
    value = PicklistValue.objects.get(field__key="course", key="data")
    value.label = "Data science"
    value.save()
    active = scoring.active_model()
    assert active is not None
    assert active[1].labels["custom.course"][1]["data"] == "Data science"


def test_a_new_fit_replaces_the_cached_model_at_the_next_write() -> None:
    custom_world()
    first = scoring.fit_leads(timezone.now(), rescore=False)
    before = scoring.active_model()
    second = scoring.fit_leads(timezone.now() + dt.timedelta(hours=1), rescore=False)
    after = scoring.active_model()
    assert first.pk != second.pk and before is not None and after is not None
    assert after[0] is not before[0]


def odd_leads(n: int = 90) -> None:
    """Open leads sharing some values and not others, with custom values as an import may
    leave them: a number as text, a checkbox as text, a number and a boolean in a picklist,
    an unknown picklist key, a malformed date, keys the schema does not know."""
    new = LeadStatus.default()
    odd: list[dict[str, Any]] = [
        {"visits": "12", "ad": "yes", "course": 3},
        {"visits": 19.5, "ad": True, "course": True, "first": "not a date"},
        {"visits": None, "ad": False, "course": "unknown", "stray": [1, 2]},
        {"course": "", "visits": ""},
        {},
    ]
    Lead.objects.bulk_create(
        Lead(
            last_name=f"O{i}",
            company=f"Odd{i % 4}",
            title=("CEO", "", "Head of sales")[i % 3],
            source=("referral", "web", "partner", "")[i % 4],
            country=("France", "")[i % 2],
            email=("a@gmail.com", "b@acme.example", "")[i % 3],
            annual_revenue=(None, 0, 2500.0, -4)[i % 4],
            do_not_call=i % 2 == 0,
            status=new,
            custom=odd[i % len(odd)] if i % 3 else {"visits": i % 23, "ad": i % 2 == 0},
        )
        for i in range(n)
    )


@pytest.mark.parametrize("kind", ["gradient boosting", "logistic (C=1)", "points"])
def test_rescoring_varied_and_odd_leads_writes_what_scoring_each_on_write_writes(
    kind: str, company: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Shared values (reasons made once per feature, value and points), tied points (the
    points model: the per-lead path's order decides), values of every shape."""
    custom_world()
    if kind == "points":
        given = {
            "source": {"referral": 10, "web": -10, "partner": 10},
            "custom.course": {"data": 10},
        }
        scoring.set_points(company.ada, 30, given, timezone.now())
    else:
        monkeypatch.setattr(core, "CANDIDATES", {kind: core.CANDIDATES[kind]})
        scoring.fit_leads(timezone.now(), rescore=False)
    odd_leads()
    assert rescore.score_open(chunk=37) > 90
    open_leads = list(Lead.objects.filter(status=LeadStatus.default()).order_by("pk"))
    bulk = {lead.pk: (lead.score, lead.score_reasons) for lead in open_leads}
    assert len({json.dumps(r) for _, r in bulk.values()}) >= 5
    active = scoring.active_model()
    assert active is not None
    scoring._score_batch(open_leads, active[1], active[0])  # the on-write path, row by row
    one_by_one = {lead.pk: (lead.score, lead.score_reasons) for lead in open_leads}
    assert bulk == one_by_one
