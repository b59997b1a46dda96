"""Settings > Webhooks: admins subscribe (the secret shown once), read the delivery log and
redeliver; everyone else gets the 403 page."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from conftest import Company
from opportune.web.testing import logged_in, plain_static_files  # noqa: F401
from opportune.webhooks.models import Delivery, Event, Subscription
from opportune.webhooks.signing import signature_header

pytestmark = pytest.mark.usefixtures("plain_static_files")


def _delivery(subscription: Subscription) -> Delivery:
    event = Event.objects.create(
        event_type="lead.created", record_type="lead", record_id=1, payload={},
        created_at=timezone.now(),
    )  # fmt: skip
    return Delivery.objects.create(
        subscription=subscription, event=event, created_at=event.created_at
    )


def test_an_admin_subscribes_and_sees_the_secret_once(company: Company, settings: object) -> None:
    setattr(settings, "OPPORTUNE_WEBHOOKS_ALLOW_PRIVATE", True)  # noqa: B010
    browser = logged_in(Client(), company.ada)
    assert browser.get("/settings/").content.count(b"/settings/webhooks/") == 1
    response = browser.post(
        "/settings/webhooks/",
        {"url": "http://127.0.0.1:9/hook", "event_types": ["lead.created", "opportunity.won"]},
    )
    assert response.status_code == 200
    subscription = Subscription.objects.get()
    assert subscription.secret.encode() in response.content
    assert subscription.secret.encode() not in browser.get("/settings/webhooks/").content
    page = browser.get(f"/settings/webhooks/{subscription.pk}/")
    assert subscription.secret.encode() not in page.content


def test_a_private_url_is_a_form_error(company: Company) -> None:
    browser = logged_in(Client(), company.ada)
    response = browser.post(
        "/settings/webhooks/", {"url": "http://10.0.0.7/hook", "event_types": ["lead.created"]}
    )
    assert response.status_code == 422
    assert b"private or reserved address" in response.content
    assert not Subscription.objects.exists()


def test_the_log_lists_deliveries_and_redelivers(company: Company) -> None:
    subscription = Subscription.objects.create(
        url="https://hooks.example/", event_types=["lead.created"]
    )
    delivery = _delivery(subscription)
    browser = logged_in(Client(), company.ada)
    page = browser.get(f"/settings/webhooks/{subscription.pk}/")
    assert b"lead.created" in page.content
    response = browser.post(f"/settings/webhooks/deliveries/{delivery.pk}/redeliver/")
    assert response.status_code == 302
    assert Delivery.objects.filter(redelivery_of=delivery).count() == 1
    browser.post(f"/settings/webhooks/{subscription.pk}/toggle/")
    subscription.refresh_from_db()
    assert not subscription.is_active


@pytest.mark.parametrize("role", ["maria", "alice", "mark", "rita"])
def test_other_roles_get_the_403_page(company: Company, role: str) -> None:
    subscription = Subscription.objects.create(
        url="https://hooks.example/", event_types=["lead.created"]
    )
    delivery = _delivery(subscription)
    browser = logged_in(Client(), getattr(company, role))
    assert browser.get("/settings/webhooks/").status_code == 403
    assert browser.get(f"/settings/webhooks/{subscription.pk}/").status_code == 403
    assert browser.post(f"/settings/webhooks/{subscription.pk}/delete/").status_code == 403
    assert (
        browser.post(f"/settings/webhooks/deliveries/{delivery.pk}/redeliver/").status_code == 403
    )
    assert Subscription.objects.filter(pk=subscription.pk).exists()


def test_the_documented_receiver_accepts_a_signature_and_refuses_a_forgery(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """docs/examples/webhook_receiver.py (quoted in docs/webhooks.md) agrees with the signer."""
    monkeypatch.setenv("WEBHOOK_SECRET", "whsec_test")
    path = Path(__file__).resolve().parents[3] / "docs" / "examples" / "webhook_receiver.py"
    spec = importlib.util.spec_from_file_location("webhook_receiver", path)
    assert spec is not None and spec.loader is not None
    receiver = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(receiver)
    now = int(dt.datetime(2026, 12, 1, tzinfo=dt.UTC).timestamp())
    body = b'{"id":"evt_1","type":"lead.created"}'
    header = signature_header("whsec_test", now, body)
    assert receiver.verified(header, body, now)
    assert not receiver.verified(signature_header("whsec_other", now, body), body, now)
    assert not receiver.verified(header, body, now + 600)
