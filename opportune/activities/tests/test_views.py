"""Quick logging on a record's timeline and ticking tasks done."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pytest
from django.test import Client
from django.utils import timezone

from conftest import Company
from opportune.activities.models import Activity
from opportune.web.testing import (
    HTMX,
    logged_in,
    plain_static_files,  # noqa: F401
)

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

pytestmark = pytest.mark.django_db


def _log(client: Client, kind: str, record: str, pk: int, **fields: str) -> Response:
    data = {"activity_kind": kind, f"{kind}-kind": kind}
    data.update({f"{kind}-{name}": value for name, value in fields.items()})
    return client.post(f"/activities/{record}/{pk}/log/", data, **HTMX)


def test_logging_a_call_answers_the_refreshed_timeline(company: Company, client: Client) -> None:
    lead = company.lead(company.alice)
    response = _log(
        logged_in(client, company.alice),
        "call",
        "lead",
        lead.pk,
        subject="Intro call",
        body="Liked it",
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<section class="card" id="timeline"')
    assert "Intro call" in body and "Liked it" in body
    call = Activity.objects.get(subject="Intro call")
    assert (
        call.kind == "call" and call.is_done and call.lead == lead and call.owner == company.alice
    )
    lead.refresh_from_db()
    assert lead.last_activity_at is not None


def test_adding_a_task_keeps_it_open_with_its_due_date(company: Company, client: Client) -> None:
    opportunity = company.opportunity(company.alice)
    due = timezone.localdate() + dt.timedelta(days=3)
    _log(
        logged_in(client, company.alice),
        "task",
        "opportunity",
        opportunity.pk,
        subject="Send quote",
        due_date=str(due),
    )
    task = Activity.objects.get(subject="Send quote")
    assert task.kind == "task" and not task.is_done and task.due_date == due


def test_a_note_takes_its_subject_from_its_first_line(company: Company, client: Client) -> None:
    account = company.account(company.alice)
    _log(
        logged_in(client, company.alice),
        "note",
        "account",
        account.pk,
        body="Budget frozen\nuntil Q3",
    )
    note = Activity.objects.get(kind="note")
    assert note.subject == "Budget frozen" and note.account == account


def test_a_call_without_subject_is_refused_at_the_field(company: Company, client: Client) -> None:
    lead = company.lead(company.alice)
    response = _log(logged_in(client, company.alice), "call", "lead", lead.pk, subject="")
    assert response.status_code == 422
    assert response.context["quick_forms"]["call"].errors == {
        "subject": ["This field is required."]
    }
    assert response.context["active_tab"] == "call"
    assert not Activity.objects.exists()


def test_nothing_is_logged_on_a_converted_lead(company: Company, client: Client) -> None:
    lead = company.lead(company.alice, is_converted=True)
    client = logged_in(client, company.alice)
    assert "Log a call" not in client.get(f"/leads/{lead.pk}/").content.decode()
    response = _log(client, "call", "lead", lead.pk, subject="Late call")
    assert response.status_code == 422 and not Activity.objects.exists()


@pytest.mark.parametrize("record", ["lead", "opportunity", "account", "contact"])
def test_nothing_is_logged_on_another_reps_record(
    company: Company, client: Client, record: str
) -> None:
    opportunity = company.opportunity(company.alice)
    records = {
        "lead": company.lead(company.alice),
        "opportunity": opportunity,
        "account": opportunity.account,
        "contact": company.contact(company.alice, opportunity.account),
    }
    response = _log(
        logged_in(client, company.bob), "call", record, records[record].pk, subject="Snoop"
    )
    assert response.status_code == 404 and not Activity.objects.exists()
    assert client.get(f"/activities/{record}/{records[record].pk}/").status_code == 404


def test_an_unknown_record_type_is_a_404(company: Company, client: Client) -> None:
    assert logged_in(client, company.alice).get("/activities/invoice/1/").status_code == 404


def test_ticking_a_task_done_and_open_again(company: Company, client: Client) -> None:
    lead = company.lead(company.alice)
    client = logged_in(client, company.alice)
    _log(client, "task", "lead", lead.pk, subject="Follow up")
    task = Activity.objects.get()
    done = client.post(f"/activities/{task.pk}/done/", {"is_done": ["off", "on"]}, **HTMX)
    assert done.content.decode().lstrip().startswith(f'<li id="activity-{task.pk}" class="is-done"')
    task.refresh_from_db()
    assert task.is_done and task.done_at
    client.post(f"/activities/{task.pk}/done/", {"is_done": "off", "view": "my-work"}, **HTMX)
    task.refresh_from_db()
    assert not task.is_done and task.done_at is None


def test_another_reps_task_cannot_be_ticked(company: Company, client: Client) -> None:
    lead = company.lead(company.alice)
    _log(logged_in(client, company.alice), "task", "lead", lead.pk, subject="Mine")
    task = Activity.objects.get()
    client.logout()
    assert (
        logged_in(client, company.bob).post(f"/activities/{task.pk}/done/", **HTMX).status_code
        == 404
    )
    assert not Activity.objects.get().is_done


def test_the_timeline_fragment(company: Company, client: Client) -> None:
    lead = company.lead(company.alice)
    client = logged_in(client, company.alice)
    _log(client, "call", "lead", lead.pk, subject="First")
    response = client.get(f"/activities/lead/{lead.pk}/", **HTMX)
    assert "First" in response.content.decode() and "<html" not in response.content.decode()
