"""Who is told what: the writer is never told of their own act, nobody hears of a record
they cannot see, each person's channel is honoured, a bulk write is one summary, a task's
"falls due" goes out once, and e-mails are queued for the worker, which sends them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import pytest
from django.core import mail
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from conftest import Company
from opportune.activities.models import Activity
from opportune.activities.schemas import ActivityChanges
from opportune.activities.services import save_activity
from opportune.audit.committed import forget_pending
from opportune.identity.models import User
from opportune.leads.schemas import LeadChanges, LeadCreate
from opportune.leads.services import create_lead, update_lead, update_leads
from opportune.notifications.due import notify_due_tasks
from opportune.notifications.models import DueNotice, EmailState, Notification, Preference
from opportune.notifications.rules import mentioned_names
from opportune.notifications.tasks import send_email
from opportune.opportunities.services import change_opportunity, close_opportunity

if TYPE_CHECKING:
    from pytest_django import DjangoCaptureOnCommitCallbacks as Capture
    from pytest_django import Settings


@contextmanager
def acting(capture: Capture) -> Iterator[None]:
    """Run the writes' after-commit callbacks, as a real commit would."""
    forget_pending()
    with capture(execute=True):
        yield


NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _locmem_mail(settings: Settings) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def _told(user: User) -> list[tuple[str, str]]:
    return list(
        Notification.objects.filter(recipient=user).order_by("pk").values_list("kind", "title")
    )


def test_a_lead_created_for_someone_else_tells_the_new_owner(
    company: Company, django_capture_on_commit_callbacks: Capture
) -> None:
    with acting(django_capture_on_commit_callbacks):
        create_lead(
            company.maria, LeadCreate(last_name="Lee", company="Initech", owner_id=company.bob.pk)
        )
    assert _told(company.bob) == [("assigned", "Maria assigned you the lead Lee (Initech)")]
    assert _told(company.maria) == []


def test_the_actor_is_not_told_of_their_own_assignment(
    company: Company, django_capture_on_commit_callbacks: Capture
) -> None:
    with acting(django_capture_on_commit_callbacks):
        create_lead(company.bob, LeadCreate(last_name="Lee", company="Initech"))
    assert not Notification.objects.exists()


def test_an_owner_change_tells_the_new_owner_only(
    company: Company, django_capture_on_commit_callbacks: Capture
) -> None:
    lead = company.lead(company.alice)
    with acting(django_capture_on_commit_callbacks):
        update_lead(company.maria, lead, LeadChanges(owner_id=company.bob.pk))
    assert [k for k, _ in _told(company.bob)] == ["assigned"]
    assert _told(company.alice) == []


def test_nobody_is_told_of_a_record_they_cannot_see(
    company: Company, django_capture_on_commit_callbacks: Capture
) -> None:
    """Mark (marketing) never sees deals: handing him one would be news of the unseen."""
    lead = company.lead(company.alice)
    note = ActivityChanges(
        kind="note", subject="Call back", body="@charlie please look", lead_id=lead.pk
    )
    with acting(django_capture_on_commit_callbacks):
        save_activity(company.alice, note)  # Charlie (West) cannot see Alice's lead
    assert _told(company.charlie) == []


def test_a_deal_moved_by_someone_else_tells_its_owner(
    company: Company, django_capture_on_commit_callbacks: Capture
) -> None:
    deal = company.opportunity(company.alice, name="Globex renewal")
    with acting(django_capture_on_commit_callbacks):
        change_opportunity(company.maria, deal, {"stage": "proposal"})
    assert _told(company.alice) == [
        ("deal_moved", "Maria moved your deal Globex renewal to Proposal / price quote")
    ]


def test_a_deal_closed_by_someone_else_says_won_or_lost(
    company: Company, django_capture_on_commit_callbacks: Capture
) -> None:
    deal = company.opportunity(company.alice, name="Globex renewal")
    with acting(django_capture_on_commit_callbacks):
        close_opportunity(company.maria, deal, won=True)
    assert _told(company.alice) == [("deal_moved", "Maria closed your deal Globex renewal as won")]


def test_the_owner_moving_their_own_deal_is_not_told(
    company: Company, django_capture_on_commit_callbacks: Capture
) -> None:
    deal = company.opportunity(company.alice)
    with acting(django_capture_on_commit_callbacks):
        change_opportunity(company.alice, deal, {"stage": "proposal", "amount": 5})
    assert not Notification.objects.exists()


def test_a_mention_tells_an_active_user_who_sees_the_record(
    company: Company, django_capture_on_commit_callbacks: Capture
) -> None:
    lead = company.lead(company.alice)
    body = "Asked @Maria and @bob. Also @alice, @nobody and mail@bob.example"
    with acting(django_capture_on_commit_callbacks):
        save_activity(
            company.alice,
            ActivityChanges(kind="note", subject="Pricing", body=body, lead_id=lead.pk),
        )
    # Maria manages East and sees the lead; Bob (a rep) sees only his own; Alice wrote it.
    assert _told(company.maria) == [("mentioned", "Alice mentioned you in a note: Pricing")]
    assert _told(company.bob) == []
    assert _told(company.alice) == []


def test_an_edit_tells_only_the_mentions_it_adds(
    company: Company, django_capture_on_commit_callbacks: Capture
) -> None:
    lead = company.lead(company.alice)
    with acting(django_capture_on_commit_callbacks):
        note = save_activity(
            company.alice, ActivityChanges(kind="note", subject="S", body="@maria", lead_id=lead.pk)
        )
    with acting(django_capture_on_commit_callbacks):
        save_activity(company.alice, ActivityChanges(body="@maria and @ada"), note)
    assert len(_told(company.maria)) == 1
    assert [k for k, _ in _told(company.ada)] == ["mentioned"]


def test_mentions_are_names_not_email_addresses() -> None:
    assert mentioned_names("hi @Bob. cc @maria-k, me@ada.example @x.y") == {"bob", "maria-k", "x.y"}


def test_a_user_who_chose_none_is_not_told_and_email_only_stays_out_of_the_inbox(
    company: Company, django_capture_on_commit_callbacks: Capture
) -> None:
    Preference.objects.create(user=company.bob, kind="assigned", channel="none")
    Preference.objects.create(user=company.charlie, kind="assigned", channel="email")
    with acting(django_capture_on_commit_callbacks):
        create_lead(company.ada, LeadCreate(last_name="A", company="X", owner_id=company.bob.pk))
        create_lead(
            company.ada, LeadCreate(last_name="B", company="Y", owner_id=company.charlie.pk)
        )
    assert not Notification.objects.filter(recipient=company.bob).exists()
    (charlies,) = Notification.objects.filter(recipient=company.charlie)
    assert (charlies.in_app, charlies.email_state) == (False, EmailState.QUEUED)


def test_an_email_is_queued_in_the_request_and_sent_by_the_worker(
    company: Company, django_capture_on_commit_callbacks: Capture
) -> None:
    with acting(django_capture_on_commit_callbacks):
        create_lead(
            company.ada, LeadCreate(last_name="Lee", company="Initech", owner_id=company.bob.pk)
        )
    assert mail.outbox == []  # nothing sent during the write
    notification = Notification.objects.get(recipient=company.bob)
    assert notification.email_state == EmailState.QUEUED
    (job,) = DBTaskResult.objects.filter(task_path__endswith="send_notification_email")
    assert job.args_kwargs["args"] == [notification.pk]
    assert send_email(notification.pk) == EmailState.SENT  # what the worker runs
    assert send_email(notification.pk) == "not queued"  # once
    (sent,) = mail.outbox
    assert sent.to == ["bob@opportune.example"]
    assert sent.subject == "[Opportune] Ada assigned you the lead Lee (Initech)"
    assert f"/leads/{notification.record_id}/" in sent.body


def test_a_bulk_reassignment_is_one_summary_per_person(
    company: Company, django_capture_on_commit_callbacks: Capture
) -> None:
    leads = [company.lead(company.alice, last_name=f"L{i}") for i in range(30)]
    with acting(django_capture_on_commit_callbacks):
        update_leads(
            company.maria, [(lead.pk, LeadChanges(owner_id=company.bob.pk)) for lead in leads]
        )
    assert _told(company.bob) == [("assigned", "Maria assigned you 30 leads")]


def test_an_imports_batches_grow_one_summary(
    company: Company, django_capture_on_commit_callbacks: Capture
) -> None:
    """Each import batch is its own transaction; an unread summary grows, so a job tells
    each person once."""
    leads = [company.lead(company.alice, last_name=f"L{i}") for i in range(40)]
    for batch in (leads[:20], leads[20:]):
        with acting(django_capture_on_commit_callbacks), transaction.atomic():
            for lead in batch:
                update_lead(company.maria, lead, LeadChanges(owner_id=company.bob.pk))
    assert _told(company.bob) == [("assigned", "Maria assigned you 40 leads")]
    assert Notification.objects.get().count == 40


def test_nothing_is_told_when_the_write_rolls_back(
    company: Company, django_capture_on_commit_callbacks: Capture
) -> None:
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        create_lead(
            company.ada, LeadCreate(last_name="Lee", company="Initech", owner_id=company.bob.pk)
        )
        raise RuntimeError("the request failed after the lead was saved")
    assert not Notification.objects.exists()


def _task(company: Company, due: dt.date, **fields: object) -> Activity:
    lead = company.lead(company.alice)
    return Activity.objects.create(
        kind="task", subject="Send quote", owner=company.alice, lead=lead, due_date=due, **fields
    )


def test_a_task_falling_due_is_told_once(company: Company) -> None:
    task = _task(company, NOW.date())
    assert notify_due_tasks(NOW) == 1
    assert notify_due_tasks(NOW + dt.timedelta(hours=1)) == 0
    assert _told(company.alice) == [("task_due", "Task due today: Send quote")]
    assert DueNotice.objects.get().activity_id == task.pk


def test_only_open_tasks_due_by_now_and_not_long_overdue_are_told(company: Company) -> None:
    _task(company, NOW.date() + dt.timedelta(days=1))  # not yet
    _task(company, NOW.date() - dt.timedelta(days=30))  # long overdue: imported history
    _task(company, NOW.date(), is_done=True)
    yesterday = _task(company, NOW.date() - dt.timedelta(days=1))
    assert notify_due_tasks(NOW) == 1
    (notification,) = Notification.objects.all()
    assert notification.record_id == yesterday.lead_id
    assert notification.title == f"Task due on {yesterday.due_date:%b %-d}: Send quote"


def test_the_worker_sends_the_queued_email_and_starts_the_due_scan(
    company: Company, django_capture_on_commit_callbacks: Capture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from opportune.cli import main
    from opportune.notifications.tasks import scan_due_tasks

    # Between jobs the worker closes stale connections, which would end the test transaction.
    monkeypatch.setattr(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    )
    with acting(django_capture_on_commit_callbacks):
        create_lead(
            company.ada, LeadCreate(last_name="Lee", company="Initech", owner_id=company.bob.pk)
        )
    assert mail.outbox == []
    assert main(["worker", "--batch"]) == 0
    (sent,) = mail.outbox
    assert sent.to == ["bob@opportune.example"]
    assert Notification.objects.get().email_state == EmailState.SENT
    assert DBTaskResult.objects.filter(task_path=scan_due_tasks.module_path).exists()
