"""Webhooks: events published after commit, signed deliveries to a real HTTP server,
retries with back-off, automatic disabling, redelivery and the SSRF guard."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest
from django.db import transaction

from conftest import ApiClient, Company
from opportune.identity.models import User
from opportune.leads.schemas import LeadChanges, LeadCreate
from opportune.leads.services import create_lead, update_leads
from opportune.opportunities.services import close_opportunity
from opportune.webhooks.delivery import deliver
from opportune.webhooks.models import Delivery, DeliveryStatus, Event, Subscription
from opportune.webhooks.signing import SIGNATURE_HEADER, verify

from .receiver import Receiver, receiving

if TYPE_CHECKING:
    from pytest_django import DjangoCaptureOnCommitCallbacks, Settings

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def receiver(settings: Settings) -> Iterator[Receiver]:
    settings.OPPORTUNE_WEBHOOKS_ALLOW_PRIVATE = True  # the receiver listens on 127.0.0.1
    with receiving() as receiver:
        yield receiver


def _subscribe(url: str, *event_types: str) -> Subscription:
    return Subscription.objects.create(url=url, event_types=list(event_types))


def _new_lead(company: Company, capture: DjangoCaptureOnCommitCallbacks, **fields: Any) -> Delivery:
    with capture(execute=True):
        create_lead(company.alice, LeadCreate(last_name="Lee", company="Initech", **fields))
    return Delivery.objects.get()


def test_a_created_lead_reaches_the_receiver_signed(
    company: Company,
    receiver: Receiver,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    subscription = _subscribe(receiver.url, "lead.created")
    delivery = _new_lead(company, django_capture_on_commit_callbacks, email="lee@initech.example")
    deliver(delivery.pk, now=NOW)

    (received,) = receiver.requests
    header = received.headers[SIGNATURE_HEADER]
    assert verify(subscription.secret, header, received.body, now=int(NOW.timestamp()))
    body = json.loads(received.body)
    assert body["type"] == "lead.created"
    assert body["data"]["object"]["email"] == "lee@initech.example"
    assert received.headers["Opportune-Event"] == "lead.created"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("delivered", 1, 200)


def test_a_signature_fails_with_another_secret_body_or_an_old_timestamp(
    company: Company,
    receiver: Receiver,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    subscription = _subscribe(receiver.url, "lead.created")
    deliver(_new_lead(company, django_capture_on_commit_callbacks).pk, now=NOW)
    (received,) = receiver.requests
    header, body, now = received.headers[SIGNATURE_HEADER], received.body, int(NOW.timestamp())
    assert verify(subscription.secret, header, body, now)
    assert not verify("whsec_other", header, body, now)
    assert not verify(subscription.secret, header, body + b" ", now)
    assert not verify(subscription.secret, header, body, now + 301)  # a replay, later


def test_nothing_is_published_when_the_write_rolls_back(
    company: Company, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    _subscribe("http://hooks.example/", "lead.created")
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        create_lead(company.alice, LeadCreate(last_name="Lee", company="Initech"))
        raise RuntimeError("the request failed after the lead was saved")
    assert not Event.objects.exists()


def test_no_event_is_stored_when_no_one_subscribes(
    company: Company, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    _subscribe("http://hooks.example/", "account.created")
    with django_capture_on_commit_callbacks(execute=True):
        create_lead(company.alice, LeadCreate(last_name="Lee", company="Initech"))
    assert not Event.objects.exists()


def test_winning_a_deal_sends_updated_stage_changed_and_won_not_lost(
    company: Company, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    deal = company.opportunity(company.alice)
    _subscribe("http://hooks.example/", "opportunity.won", "opportunity.lost")
    _subscribe("http://hooks.example/all", "opportunity.updated", "opportunity.stage_changed")
    with django_capture_on_commit_callbacks(execute=True):
        close_opportunity(company.alice, deal, won=True)
    events = sorted(Event.objects.values_list("event_type", flat=True))
    assert events == ["opportunity.stage_changed", "opportunity.updated", "opportunity.won"]


def test_losing_a_deal_sends_lost(
    company: Company, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    deal = company.opportunity(company.alice)
    _subscribe("http://hooks.example/", "opportunity.won", "opportunity.lost")
    with django_capture_on_commit_callbacks(execute=True):
        close_opportunity(company.alice, deal, won=False, lost_reason_key="price")
    assert list(Event.objects.values_list("event_type", flat=True)) == ["opportunity.lost"]


def test_a_failed_attempt_is_retried_with_exponential_backoff_then_given_up(
    company: Company,
    receiver: Receiver,
    settings: Settings,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    settings.OPPORTUNE_WEBHOOK_MAX_ATTEMPTS = 3
    settings.OPPORTUNE_WEBHOOK_RETRY_SECONDS = 60
    receiver.status = 503
    _subscribe(receiver.url, "lead.created")
    delivery = _new_lead(company, django_capture_on_commit_callbacks)
    waits = []
    now = NOW
    for _ in range(3):
        result = deliver(delivery.pk, now=now)
        assert result is not None
        if result.next_attempt_at:
            waits.append(result.next_attempt_at - now)
            now = result.next_attempt_at
    assert waits == [dt.timedelta(seconds=60), dt.timedelta(seconds=120)]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("failed", 3, 503)
    assert len(receiver.requests) == 3
    assert deliver(delivery.pk, now=now) is not None and len(receiver.requests) == 3


def test_a_subscription_is_disabled_after_consecutive_failures_and_a_success_resets_them(
    company: Company,
    receiver: Receiver,
    settings: Settings,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    settings.OPPORTUNE_WEBHOOK_DISABLE_AFTER = 3
    subscription = _subscribe(receiver.url, "lead.created")
    delivery = _new_lead(company, django_capture_on_commit_callbacks)
    receiver.status = 500
    deliver(delivery.pk, now=NOW)
    deliver(delivery.pk, now=NOW)
    receiver.status = 204
    deliver(delivery.pk, now=NOW)
    subscription.refresh_from_db()
    assert (subscription.is_active, subscription.consecutive_failures) == (True, 0)

    receiver.status = 500
    Delivery.objects.all().delete()
    delivery = _new_lead(company, django_capture_on_commit_callbacks)
    for _ in range(3):
        deliver(delivery.pk, now=NOW)
    subscription.refresh_from_db()
    assert not subscription.is_active
    assert "3 failed deliveries in a row" in subscription.disabled_reason


def test_a_redirect_is_not_followed(
    company: Company,
    receiver: Receiver,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    receiver.status, receiver.location = 302, "http://169.254.169.254/latest/meta-data/"
    _subscribe(receiver.url, "lead.created")
    delivery = deliver(_new_lead(company, django_capture_on_commit_callbacks).pk, now=NOW)
    assert delivery is not None
    assert delivery.status == DeliveryStatus.RETRYING
    assert "not followed" in delivery.error
    assert len(receiver.requests) == 1


def test_private_addresses_are_refused_unless_allowed(
    company: Company,
    receiver: Receiver,
    settings: Settings,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    _subscribe(receiver.url, "lead.created")
    delivery = _new_lead(company, django_capture_on_commit_callbacks)
    settings.OPPORTUNE_WEBHOOKS_ALLOW_PRIVATE = False
    result = deliver(delivery.pk, now=NOW)
    assert result is not None and "private or reserved address" in result.error
    assert receiver.requests == []


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://localhost:8000/hook",
        "http://10.1.2.3/hook",
        "http://[::1]/hook",
        "http://[::ffff:192.168.0.1]/hook",
        "http://169.254.169.254/latest",
        "file:///etc/passwd",
        "http://user:pw@hooks.example/",
        "http://[::1/hook",
        "http://hooks.example:99999/",
        f"http://{'a' * 70}.example/",
    ],
)
def test_an_admin_cannot_subscribe_a_private_or_odd_url(
    company: Company, api: Callable[[User], ApiClient], url: str
) -> None:
    response = api(company.ada).post(
        "/api/v1/webhooks", {"url": url, "event_types": ["lead.created"]}
    )
    assert response.status_code == 422, response.content
    assert "url" in response.json()["errors"]


def test_the_secret_is_shown_once_and_only_admins_subscribe(
    company: Company, api: Callable[[User], ApiClient], receiver: Receiver
) -> None:
    body = {"url": receiver.url, "event_types": ["lead.created", "opportunity.won"]}
    created = api(company.ada).post("/api/v1/webhooks", body)
    assert created.status_code == 201
    secret = created.json()["secret"]
    assert secret.startswith("whsec_")
    pk = created.json()["id"]
    shown = api(company.ada).get(f"/api/v1/webhooks/{pk}")
    assert shown.status_code == 200 and secret not in shown.content.decode()
    assert secret not in api(company.ada).get("/api/v1/webhooks").content.decode()
    for user in (company.maria, company.alice, company.mark, company.rita):
        assert api(user).post("/api/v1/webhooks", body).status_code == 403
        assert api(user).get("/api/v1/webhooks").status_code == 403


def test_an_unknown_event_type_is_refused(
    company: Company, api: Callable[[User], ApiClient], receiver: Receiver
) -> None:
    body = {"url": receiver.url, "event_types": ["lead.exploded"]}
    response = api(company.ada).post("/api/v1/webhooks", body)
    assert response.status_code == 422
    assert "lead.exploded" in response.json()["errors"]["event_types"][0]


def test_the_delivery_log_and_redelivery_through_the_api(
    company: Company,
    api: Callable[[User], ApiClient],
    receiver: Receiver,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    subscription = _subscribe(receiver.url, "lead.created")
    delivery = _new_lead(company, django_capture_on_commit_callbacks)
    deliver(delivery.pk, now=NOW)
    ada = api(company.ada)
    log = ada.get(f"/api/v1/webhooks/{subscription.pk}/deliveries").json()["items"]
    assert [(d["id"], d["status"], d["event_type"]) for d in log] == [
        (delivery.pk, "delivered", "lead.created")
    ]
    detail = ada.get(f"/api/v1/webhooks/deliveries/{delivery.pk}").json()
    assert detail["payload"]["type"] == "lead.created" and detail["response_body"] == "ok"

    with django_capture_on_commit_callbacks(execute=False):
        again = ada.post(f"/api/v1/webhooks/deliveries/{delivery.pk}/redeliver")
    assert again.status_code == 202
    assert again.json()["redelivery_of_id"] == delivery.pk
    deliver(again.json()["id"], now=NOW)
    first, second = receiver.requests
    assert first.body == second.body  # the same event, signed again
    assert (
        api(company.alice).post(f"/api/v1/webhooks/deliveries/{delivery.pk}/redeliver").status_code
        == 403
    )


def test_switching_a_disabled_subscription_back_on_forgets_its_failures(
    company: Company, api: Callable[[User], ApiClient], receiver: Receiver
) -> None:
    subscription = _subscribe(receiver.url, "lead.created")
    Subscription.objects.filter(pk=subscription.pk).update(
        is_active=False, consecutive_failures=20, disabled_reason="Disabled after 20 ..."
    )
    response = api(company.ada).patch(f"/api/v1/webhooks/{subscription.pk}", {"is_active": True})
    assert response.status_code == 200
    assert (response.json()["consecutive_failures"], response.json()["disabled_reason"]) == (0, "")


def test_publishing_a_batch_of_changes_takes_the_same_queries_whatever_its_size(
    company: Company,
    django_assert_max_num_queries: Any,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    """An import updates thousands of leads in one call of update_leads."""
    _subscribe("http://hooks.example/", "lead.updated")
    _subscribe("http://hooks.example/2", "lead.updated")
    leads = [company.lead(company.alice, last_name=f"L{i}") for i in range(30)]
    changes = [(lead.pk, LeadChanges(title="CFO")) for lead in leads]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        update_leads(company.alice, changes)
    with django_assert_max_num_queries(8):
        for callback in callbacks:
            callback()
    assert Event.objects.count() == 30 and Delivery.objects.count() == 60
