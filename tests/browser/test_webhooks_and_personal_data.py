"""Settings > Webhooks and the lead page's personal-data actions, in a browser: an admin
subscribes a receiver (the secret shown once), a new lead is delivered to it signed, the log
shows it and a redelivery; an admin erases a lead's personal data from its page."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pytest_django import Settings

from conftest import Company
from opportune.identity.models import User
from opportune.leads.models import Lead
from opportune.leads.schemas import LeadCreate
from opportune.leads.services import create_lead
from opportune.webhooks.delivery import deliver
from opportune.webhooks.models import Delivery, Subscription
from opportune.webhooks.signing import SIGNATURE_HEADER, verify
from opportune.webhooks.tests.receiver import receiving

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]
_shots = os.environ.get("OPPORTUNE_SCREENSHOTS")
SHOTS = Path(_shots) if _shots else None


def _shot(page: Page, name: str) -> None:
    if SHOTS:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / name), full_page=True)


def test_an_admin_subscribes_and_reads_the_delivery_log(
    company: Company, open_browser: Callable[[User], Page], settings: Settings
) -> None:
    settings.OPPORTUNE_WEBHOOKS_ALLOW_PRIVATE = True
    page = open_browser(company.ada)
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))
    with receiving() as receiver:
        page.goto("/settings/")
        page.get_by_role("link", name="Webhooks").click()
        page.get_by_label("URL").fill(receiver.url)
        page.get_by_label("lead.created").check()
        page.get_by_label("opportunity.won").check()
        page.get_by_role("button", name="Subscribe").click()
        secret = page.locator("#webhook-secret code").inner_text()
        subscription = Subscription.objects.get()
        assert secret == subscription.secret
        _shot(page, "webhooks-list.png")

        create_lead(company.alice, LeadCreate(last_name="Hooked", company="Initech"))
        delivery = deliver(Delivery.objects.get().pk)  # published once the lead committed
        assert delivery is not None and delivery.last_attempt_at is not None
        (received,) = receiver.requests
        sent_at = int(delivery.last_attempt_at.timestamp())
        assert verify(secret, received.headers[SIGNATURE_HEADER], received.body, now=sent_at)

        page.goto("/settings/webhooks/")
        assert page.locator("#webhook-secret").count() == 0  # shown once
        page.get_by_role("link", name=receiver.url).click()
        page.get_by_text("Delivered").wait_for()
        page.get_by_role("button", name="Redeliver").click()
        page.get_by_text("(redelivery)").wait_for()
        _shot(page, "webhook-deliveries.png")
    assert [m for m in messages if "Content Security Policy" in m] == []


def test_an_admin_erases_a_leads_personal_data_from_its_page(
    company: Company, open_browser: Callable[[User], Page]
) -> None:
    lead = company.lead(company.alice, first_name="Zora", last_name="Quill", email="zq@x.example")
    page = open_browser(company.ada)
    page.goto(f"/leads/{lead.pk}/")
    page.get_by_role("link", name="Erase personal data").click()
    page.get_by_role("heading", name="Erase the personal data of").wait_for()
    _shot(page, "erase-dialog.png")
    page.get_by_role("button", name="Erase personal data").click()
    page.get_by_text("Personal data erased").first.wait_for()
    _shot(page, "lead-erased.png")
    lead = Lead.objects.get(pk=lead.pk)
    assert (lead.first_name, lead.last_name, lead.email) == ("", "[erased]", "")
