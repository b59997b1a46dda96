"""The API tokens page: a user sees their own tokens, issues one (shown once) and revokes."""

from __future__ import annotations

import pytest
from django.test import Client

from conftest import Company
from opportune.identity.models import ApiToken, hash_token
from opportune.web.testing import HTMX, logged_in, plain_static_files  # noqa: F401

pytestmark = pytest.mark.django_db


def test_the_page_lists_only_the_users_own_tokens(company: Company, client: Client) -> None:
    mine, _ = ApiToken.issue(company.alice, "alice laptop")
    ApiToken.issue(company.bob, "bob phone")
    page = logged_in(client, company.alice).get("/tokens/").content.decode()
    assert mine.prefix in page and "alice laptop" in page and "bob phone" not in page


def test_issuing_shows_the_new_token_once(company: Company, client: Client) -> None:
    alice = logged_in(client, company.alice)
    response = alice.post("/tokens/issue/", {"name": "cron", "scope": "read"}, **HTMX)
    assert response.status_code == 200
    token = ApiToken.objects.get(user=company.alice, name="cron")
    assert token.scope == "read"
    raw = response.content.decode().split('id="issued-token"')[1].split("<code>")[1]
    assert hash_token(raw.split("</code>")[0]) == token.key_hash
    assert token.prefix in alice.get("/tokens/").content.decode()
    assert raw.split("</code>")[0] not in alice.get("/tokens/").content.decode()


def test_a_rep_cannot_issue_an_admin_token(company: Company, client: Client) -> None:
    response = logged_in(client, company.alice).post("/tokens/issue/", {"scope": "admin"}, **HTMX)
    assert response.status_code == 422
    assert not ApiToken.objects.filter(user=company.alice).exists()


def test_revoking_removes_the_token_from_the_page(company: Company, client: Client) -> None:
    token, _ = ApiToken.issue(company.alice, "old")
    response = logged_in(client, company.alice).post(f"/tokens/{token.pk}/revoke/", **HTMX)
    assert response.status_code == 200 and token.prefix not in response.content.decode()
    token.refresh_from_db()
    assert token.revoked


def test_a_user_cannot_revoke_someone_elses_token(company: Company, client: Client) -> None:
    token, _ = ApiToken.issue(company.bob)
    response = logged_in(client, company.alice).post(f"/tokens/{token.pk}/revoke/")
    assert response.status_code == 404
    token.refresh_from_db()
    assert not token.revoked
