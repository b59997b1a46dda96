"""The lost-reason dialog asks its question first; an error shows only once a reason was
sent and refused."""

from __future__ import annotations

import pytest
from django.test import Client

from conftest import Company
from opportune.web.testing import (
    HTMX,
    logged_in,
    plain_static_files,  # noqa: F401
)

pytestmark = pytest.mark.django_db


def test_the_lost_reason_dialog_opens_without_an_error_and_shows_one_for_an_empty_reason(
    company: Company,
) -> None:
    deal = company.opportunity(company.alice)
    client = logged_in(Client(), company.alice)
    url = f"/opportunities/{deal.pk}/move/"
    asked = client.post(url, {"stage": "closed_lost"}, **HTMX).content.decode()
    assert 'name="lost_reason"' in asked
    assert "errorlist" not in asked and 'aria-invalid="true"' not in asked
    refused = client.post(url, {"stage": "closed_lost", "lost_reason": ""}, **HTMX)
    body = refused.content.decode()
    assert 'name="lost_reason"' in body
    assert "errorlist" in body and 'aria-invalid="true"' in body
