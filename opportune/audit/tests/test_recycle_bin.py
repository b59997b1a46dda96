"""The recycle bin: deleting is soft, restoring is exact, purging is for admins and the worker."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pytest_django import Settings

from conftest import ApiClient, Company
from opportune.accounts.models import Account, Contact
from opportune.activities.models import Activity
from opportune.audit.bin import delete_record, purge_expired, purge_record, restore_record
from opportune.audit.models import FieldChange
from opportune.errors import Conflict, NotAllowed
from opportune.identity.models import User
from opportune.leads.models import Lead
from opportune.opportunities.models import Opportunity, OpportunityHistory
from opportune.web.testing import plain_static_files  # noqa: F401

NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)


def _forecast_total(api: Callable[[User], ApiClient], user: User) -> str:
    body = api(user).get("/api/v1/forecast", period="2026-Q4").json()
    return str(body["total"]["pipeline"]["amount"])


def test_a_deleted_opportunity_leaves_the_forecast_and_keeps_its_stage_history(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    deal = company.opportunity(company.alice, amount=Decimal("5000.00"))
    assert _forecast_total(api, company.ada) == "5000.00"
    assert api(company.alice).delete(f"/api/v1/opportunities/{deal.pk}").status_code == 204
    assert _forecast_total(api, company.ada) == "0.00"
    assert not Opportunity.objects.filter(pk=deal.pk).exists()
    assert OpportunityHistory.objects.filter(opportunity_id=deal.pk).count() == 1
    assert Opportunity.with_deleted.get(pk=deal.pk).deleted_by == company.alice


def test_a_rep_cannot_delete_a_won_opportunity(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    deal = company.opportunity(company.alice, stage_key="closed_won")
    refused = api(company.alice).delete(f"/api/v1/opportunities/{deal.pk}")
    assert refused.status_code == 403
    assert "won opportunity" in refused.json()["detail"]
    assert api(company.maria).delete(f"/api/v1/opportunities/{deal.pk}").status_code == 204


def test_a_deleted_record_answers_404_in_the_api_and_the_ui(
    company: Company, api: Callable[[User], ApiClient], client: Client
) -> None:
    lead = company.lead(company.alice)
    delete_record(company.alice, lead)
    assert api(company.alice).get(f"/api/v1/leads/{lead.pk}").status_code == 404
    assert api(company.alice).patch(f"/api/v1/leads/{lead.pk}", {"title": "x"}).status_code == 404
    assert api(company.alice).get(f"/api/v1/leads/{lead.pk}/changes").status_code == 404
    assert api(company.alice).get("/api/v1/leads").json()["items"] == []
    client.force_login(company.alice)
    assert client.get(f"/leads/{lead.pk}/").status_code == 404


def test_restore_brings_the_record_back_with_its_history(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    deal = company.opportunity(company.alice)
    Activity.objects.create(kind="note", subject="Kick-off", owner=company.alice, opportunity=deal)
    client = api(company.alice)
    client.patch(f"/api/v1/opportunities/{deal.pk}", {"next_step": "Call the CFO"})
    assert client.delete(f"/api/v1/opportunities/{deal.pk}").status_code == 204
    restored = client.post(f"/api/v1/opportunities/{deal.pk}/restore")
    assert restored.status_code == 200, restored.content
    assert restored.json()["id"] == deal.pk
    assert client.get(f"/api/v1/opportunities/{deal.pk}").status_code == 200
    assert deal.history.count() == 1
    assert deal.activities.count() == 1
    fields = [
        c["field"] for c in client.get(f"/api/v1/opportunities/{deal.pk}/changes").json()["items"]
    ]
    assert fields[:3] == ["deleted_at", "deleted_at", "next_step"]


def test_only_the_owner_the_deleter_or_an_admin_restores(company: Company) -> None:
    lead = company.lead(company.alice)
    delete_record(company.maria, lead)
    with pytest.raises(NotAllowed):
        restore_record(company.rita, "lead", lead.pk)
    assert restore_record(company.alice, "lead", lead.pk).deleted_at is None
    delete_record(company.alice, lead)
    with pytest.raises(NotAllowed):  # identity.policy: not even her manager
        restore_record(company.maria, "lead", lead.pk)
    assert restore_record(company.ada, "lead", lead.pk).deleted_at is None


def test_restoring_a_live_record_is_a_conflict(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    lead = company.lead(company.alice)
    assert api(company.alice).post(f"/api/v1/leads/{lead.pk}/restore").status_code == 409


def test_the_bin_lists_what_the_user_may_restore_newest_first(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    first, second = company.lead(company.alice), company.lead(company.alice, last_name="Two")
    theirs = company.lead(company.charlie)
    delete_record(company.alice, first)
    delete_record(company.alice, second)
    delete_record(company.charlie, theirs)
    page = api(company.alice).get("/api/v1/recycle-bin", limit=1).json()
    assert [(i["kind"], i["id"]) for i in page["items"]] == [("lead", second.pk)]
    rest = api(company.alice).get("/api/v1/recycle-bin", cursor=page["next"]).json()
    assert [i["id"] for i in rest["items"]] == [first.pk]
    assert rest["next"] is None
    everything = api(company.ada).get("/api/v1/recycle-bin").json()["items"]
    assert {i["id"] for i in everything} == {first.pk, second.pk, theirs.pk}


def test_the_bin_costs_the_same_queries_for_3_and_30_records(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    client = api(company.maria)
    client.get("/api/v1/me")

    def fill(rows: int) -> None:
        for i in range(rows):
            account = company.account(company.alice, f"Gone {i}")
            deal = company.opportunity(company.alice, account=account)
            contact = company.contact(company.alice, account)
            note = Activity.objects.create(
                kind="note", subject="n", owner=company.alice, lead=company.lead(company.alice)
            )
            delete_record(company.alice, note)
            delete_record(company.alice, deal)
            delete_record(company.alice, contact)
            delete_record(company.alice, account)
            delete_record(company.alice, company.lead(company.alice))

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/api/v1/recycle-bin", limit=200)
        assert response.status_code == 200
        return len(queries)

    fill(1)
    few = count()
    fill(9)
    assert count() == few
    assert few <= 10


def test_an_account_with_live_contacts_or_deals_is_not_deleted(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    account = company.account(company.alice, "Acme")
    company.contact(company.alice, account, last_name="Stays")
    refused = api(company.alice).delete(f"/api/v1/accounts/{account.pk}")
    assert refused.status_code == 409
    assert "Stays" in refused.json()["detail"]
    assert Account.objects.filter(pk=account.pk).exists()


def test_a_contact_waits_for_its_account_to_be_restored(company: Company) -> None:
    account = company.account(company.alice, "Acme")
    contact = company.contact(company.alice, account)
    delete_record(company.alice, contact)
    delete_record(company.alice, account)
    with pytest.raises(Conflict):
        restore_record(company.alice, "contact", contact.pk)


def test_only_admins_purge_at_once(company: Company, api: Callable[[User], ApiClient]) -> None:
    lead = company.lead(company.alice)
    delete_record(company.alice, lead)
    assert api(company.alice).post(f"/api/v1/leads/{lead.pk}/purge").status_code == 403
    assert api(company.maria).post(f"/api/v1/leads/{lead.pk}/purge").status_code == 403
    with pytest.raises(NotAllowed):
        purge_record(company.maria, "lead", lead.pk)
    assert api(company.ada).post(f"/api/v1/leads/{lead.pk}/purge").status_code == 204
    assert not Lead.with_deleted.filter(pk=lead.pk).exists()


def test_the_worker_purges_records_deleted_more_than_30_days_ago(company: Company) -> None:
    old, recent = company.lead(company.alice), company.lead(company.alice, last_name="Recent")
    account = company.account(company.alice, "Old Co")
    contact = company.contact(company.alice, account)
    delete_record(company.alice, contact)
    delete_record(company.alice, account)
    delete_record(company.alice, old)
    delete_record(company.alice, recent)
    long_ago = NOW - dt.timedelta(days=31)
    Lead.with_deleted.filter(pk=old.pk).update(deleted_at=long_ago)
    Contact.with_deleted.filter(pk=contact.pk).update(deleted_at=long_ago)
    Account.with_deleted.filter(pk=account.pk).update(deleted_at=long_ago)
    Lead.with_deleted.filter(pk=recent.pk).update(deleted_at=NOW - dt.timedelta(days=29))
    assert purge_expired(NOW) == 3
    assert list(Lead.with_deleted.values_list("pk", flat=True)) == [recent.pk]
    assert not Account.with_deleted.exists()


def test_the_retention_period_is_a_setting(company: Company, settings: Settings) -> None:
    lead = company.lead(company.alice)
    delete_record(company.alice, lead)
    Lead.with_deleted.filter(pk=lead.pk).update(deleted_at=NOW - dt.timedelta(days=8))
    settings.OPPORTUNE_RECYCLE_BIN_DAYS = 7
    assert purge_expired(NOW) == 1


def test_the_worker_runs_the_purge_and_schedules_the_next(company: Company) -> None:
    from django_tasks_db.models import DBTaskResult

    from opportune.housekeeping import housekeeping, schedule_housekeeping

    schedule_housekeeping()
    schedule_housekeeping()  # a second worker starting: still one purge waiting
    path = housekeeping.module_path
    assert DBTaskResult.objects.filter(task_path=path, status="READY").count() == 1
    lead = company.lead(company.alice)
    delete_record(company.alice, lead)
    Lead.with_deleted.filter(pk=lead.pk).update(deleted_at=timezone.now() - dt.timedelta(days=40))
    queued = DBTaskResult.objects.get(task_path=path, status="READY")
    queued.task.call()  # what `opportune worker` does with the queued job (its connection aside)
    queued.delete()
    assert not Lead.with_deleted.filter(pk=lead.pk).exists()
    waiting = DBTaskResult.objects.filter(task_path=path, status="READY").get()
    assert waiting.run_after > timezone.now() + dt.timedelta(hours=5)


def test_deleting_and_restoring_are_in_the_field_history(company: Company) -> None:
    lead = company.lead(company.alice)
    delete_record(company.alice, lead)
    restore_record(company.alice, "lead", lead.pk)
    rows = FieldChange.objects.filter(record_type="lead", record_id=lead.pk, field="deleted_at")
    assert [(bool(r.old_value), bool(r.new_value)) for r in rows] == [(True, False), (False, True)]


def test_deleted_leads_are_no_duplicate_matches(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    gone = company.lead(company.alice, email="dup@globex.example")
    delete_record(company.alice, gone)
    created = api(company.alice).post(
        "/api/v1/leads", {"last_name": "Again", "company": "Globex", "email": "dup@globex.example"}
    )
    assert created.json()["duplicates"] == []


def test_starting_the_worker_schedules_the_purge(
    company: Company, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django_tasks_db.models import DBTaskResult

    from opportune import cli
    from opportune.housekeeping import housekeeping

    started: list[str] = []
    monkeypatch.setattr(
        "django.core.management.call_command", lambda name, **options: started.append(name)
    )
    cli.main(["worker", "--batch"])
    assert started == ["db_worker"]
    assert DBTaskResult.objects.filter(task_path=housekeeping.module_path).exists()


def test_purging_an_opportunity_removes_its_stage_history_with_it(company: Company) -> None:

    deal = company.opportunity(company.alice)
    delete_record(company.alice, deal)
    purge_record(company.ada, "opportunity", deal.pk)
    assert not OpportunityHistory.objects.filter(opportunity_id=deal.pk).exists()
    assert FieldChange.objects.filter(record_type="opportunity", field="purged").exists()


def test_an_account_is_not_purged_before_what_refers_to_it(company: Company) -> None:

    account = company.account(company.alice, "Acme")
    contact = company.contact(company.alice, account)
    delete_record(company.alice, contact)
    delete_record(company.alice, account)
    with pytest.raises(Conflict):
        purge_record(company.ada, "account", account.pk)
    assert Account.with_deleted.filter(pk=account.pk).exists()


def test_the_bin_pages_across_kinds_deleted_at_the_same_moment(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    from opportune.audit.bin import delete_record

    records = [
        company.lead(company.alice),
        company.lead(company.alice, last_name="Two"),
        company.contact(company.alice, None),
        company.account(company.alice, "Alone"),
        company.opportunity(company.alice),
    ]
    for record in records:
        delete_record(company.alice, record, now=NOW)
    seen, cursor = [], None
    for _ in range(5):
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = api(company.alice).get("/api/v1/recycle-bin", **params).json()
        seen += [(i["kind"], i["id"]) for i in page["items"]]
        cursor = page["next"]
        if cursor is None:
            break
    expected = {(r._meta.model_name, r.pk) for r in records}
    assert len(seen) == len(expected) and set(seen) == expected


def test_exports_leave_the_bin_out(company: Company, api: Callable[[User], ApiClient]) -> None:
    kept, gone = company.lead(company.alice, last_name="Kept"), company.lead(company.alice)
    delete_record(company.alice, gone)
    response = api(company.alice).get("/api/v1/exports/leads")
    body = response.getvalue().decode()
    assert "Kept" in body and f"\n{gone.pk}," not in body and "deleted_at" not in body
    assert kept.pk


def test_a_forged_bin_cursor_is_a_422_naming_it(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    forged = base64.urlsafe_b64encode(b"2026-01-01T00:00:00+00:00|0|1").decode()
    answer = api(company.alice).get("/api/v1/recycle-bin", cursor=forged)
    assert answer.status_code == 422
    assert list(answer.json()["errors"]) == ["cursor"]
