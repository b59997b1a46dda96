"""After a form, the browser goes back only to a page of this site: a posted ``return_to`` or
``next`` naming another host (``//evil.example``, ``/\\evil.example``) is an open redirect."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from conftest import ApiClient, Company
from opportune.identity.models import User
from opportune.opportunities.models import Pipeline

OFF_SITE = [
    "//evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "https://evil.example/",
    " //evil.example",
    "/\t/evil.example",
]


@pytest.mark.parametrize("target", OFF_SITE)
def test_bulk_actions_never_return_to_another_site(company: Company, target: str) -> None:
    client = Client()
    client.force_login(company.alice)
    lead = company.lead(company.alice)
    response = client.post(
        "/leads/bulk/",
        {"return_to": target, "bulk-action": "assign", "bulk-ids": str(lead.pk)},
    )
    assert response.status_code == 302
    assert response["Location"] == "/leads/"


def test_bulk_actions_return_to_the_filtered_list(company: Company) -> None:
    client = Client()
    client.force_login(company.alice)
    response = client.post("/leads/bulk/", {"return_to": "/leads/?q=globex"})
    assert response["Location"] == "/leads/?q=globex"


@pytest.mark.parametrize("target", OFF_SITE)
def test_logging_an_activity_never_returns_to_another_site(company: Company, target: str) -> None:
    client = Client()
    client.force_login(company.alice)
    lead = company.lead(company.alice)
    response = client.post(
        f"/activities/lead/{lead.pk}/log/",
        {"next": target, "kind": "note", "subject": "Called"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_a_missing_default_pipeline_is_a_configuration_error_not_a_hidden_record(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    Pipeline.objects.update(is_default=False)
    lead = company.qualified_lead(company.alice)
    response = api(company.alice).post(f"/api/v1/leads/{lead.pk}/convert", {})
    assert response.status_code != 404
    assert response.status_code == 409
    body = response.json()
    assert "not visible" not in body["detail"]
    assert "pipeline" in body["detail"].lower()


@pytest.mark.parametrize("target", OFF_SITE)
def test_logging_in_never_continues_to_another_site(company: Company, target: str) -> None:
    response = Client().post(
        f"/login/?next={target}",
        {"username": "alice", "password": "correct-horse-battery", "next": target},
    )
    assert response.status_code == 302
    assert "evil" not in response["Location"]


def test_the_convert_page_names_the_missing_default_pipeline(company: Company) -> None:
    from django.contrib.messages import get_messages

    Pipeline.objects.update(is_default=False)
    lead = company.qualified_lead(company.alice)
    client = Client()
    client.force_login(company.alice)
    response = client.get(f"/leads/{lead.pk}/convert/")
    assert response.status_code == 302
    shown = " ".join(str(m) for m in get_messages(response.wsgi_request))
    assert "default" in shown and "pipeline" in shown
