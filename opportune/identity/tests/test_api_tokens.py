"""API tokens: each user lists, issues and revokes their own (admins everyone's); an expired or
revoked token is a 401; a read token gets 403 on every write; use is recorded."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.test import Client
from django.utils import timezone

from conftest import ApiClient, Company
from opportune.identity.models import ApiToken, TokenScope, User

pytestmark = pytest.mark.django_db


def bearer(raw: str, address: str = "203.0.113.7") -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}", REMOTE_ADDR=address)


def test_a_user_lists_only_their_own_tokens(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    ApiToken.issue(company.bob, "bob's")
    body = api(company.alice).get("/api/v1/tokens").json()
    assert {item["user_id"] for item in body["items"]} == {company.alice.pk}
    assert "key_hash" not in body["items"][0] and "token" not in body["items"][0]


def test_an_admin_token_lists_everyones_tokens(company: Company) -> None:
    ApiToken.issue(company.bob, "bob's")
    _, raw = ApiToken.issue(company.ada, scope=TokenScope.ADMIN)
    body = bearer(raw).get("/api/v1/tokens").json()
    assert company.bob.pk in {item["user_id"] for item in body["items"]}


def test_issuing_shows_the_token_once_and_it_works(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    response = api(company.alice).post("/api/v1/tokens", {"name": "laptop", "scope": "read"})
    assert response.status_code == 201
    raw = response.json()["token"]
    assert response.json()["scope"] == "read" and raw.startswith(response.json()["prefix"])
    assert bearer(raw).get("/api/v1/me").json()["username"] == "alice"
    listed = api(company.alice).get("/api/v1/tokens").json()["items"]
    assert all("token" not in item for item in listed)


def test_only_admins_issue_admin_tokens(company: Company, api: Callable[[User], ApiClient]) -> None:
    assert api(company.alice).post("/api/v1/tokens", {"scope": "admin"}).status_code == 403
    _, write_raw = ApiToken.issue(company.ada, scope=TokenScope.WRITE)
    response = bearer(write_raw).post(
        "/api/v1/tokens", {"scope": "admin"}, content_type="application/json"
    )
    assert response.status_code == 403
    _, admin_raw = ApiToken.issue(company.ada, scope=TokenScope.ADMIN)
    response = bearer(admin_raw).post(
        "/api/v1/tokens", {"scope": "admin"}, content_type="application/json"
    )
    assert response.status_code == 201


def test_a_user_revokes_their_own_token_and_it_stops_working(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    token, raw = ApiToken.issue(company.alice, "old")
    assert api(company.alice).delete(f"/api/v1/tokens/{token.pk}").status_code == 204
    assert bearer(raw).get("/api/v1/me").status_code == 401
    assert api(company.alice).delete(f"/api/v1/tokens/{token.pk}").status_code == 404


def test_a_user_cannot_revoke_someone_elses_token(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    token, raw = ApiToken.issue(company.bob)
    assert api(company.alice).delete(f"/api/v1/tokens/{token.pk}").status_code == 404
    assert api(company.maria).delete(f"/api/v1/tokens/{token.pk}").status_code == 404
    assert bearer(raw).get("/api/v1/me").status_code == 200


def test_an_admin_token_revokes_anyones_token(company: Company) -> None:
    token, raw = ApiToken.issue(company.bob)
    _, admin_raw = ApiToken.issue(company.ada, scope=TokenScope.ADMIN)
    assert bearer(admin_raw).delete(f"/api/v1/tokens/{token.pk}").status_code == 204
    assert bearer(raw).get("/api/v1/me").status_code == 401


def test_an_admins_write_token_manages_only_their_own_tokens(company: Company) -> None:
    bobs, _ = ApiToken.issue(company.bob)
    _, raw = ApiToken.issue(company.ada, scope=TokenScope.WRITE)
    assert bearer(raw).delete(f"/api/v1/tokens/{bobs.pk}").status_code == 404
    _, admin_raw = ApiToken.issue(company.ada, scope=TokenScope.ADMIN)
    assert bearer(admin_raw).delete(f"/api/v1/tokens/{bobs.pk}").status_code == 204


def test_an_expired_token_is_refused_with_401(company: Company) -> None:
    _, raw = ApiToken.issue(company.alice, expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = bearer(raw).get("/api/v1/me")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"


def test_a_token_before_its_expiry_works(company: Company) -> None:
    _, raw = ApiToken.issue(company.alice, expires_at=timezone.now() + dt.timedelta(days=1))
    assert bearer(raw).get("/api/v1/me").status_code == 200


def test_an_expiry_in_the_past_is_refused_when_issuing(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    response = api(company.alice).post("/api/v1/tokens", {"expires_at": "2000-01-01T00:00:00Z"})
    assert response.status_code == 422
    assert "expires_at" in response.json()["errors"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/v1/leads"),
        ("patch", "/api/v1/leads/{pk}"),
        ("delete", "/api/v1/leads/{pk}"),
        ("post", "/api/v1/tokens"),
        ("delete", "/api/v1/tokens/{token}"),
    ],
)
def test_a_read_token_gets_403_on_every_write(company: Company, method: str, path: str) -> None:
    lead = company.lead(company.alice)
    token, raw = ApiToken.issue(company.alice, scope=TokenScope.READ)
    client = bearer(raw)
    url = path.format(pk=lead.pk, token=token.pk)
    response = getattr(client, method)(url, {"last_name": "X"}, "application/json")
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert "read" in response.json()["detail"]
    lead.refresh_from_db()
    assert lead.last_name == "Lead" and lead.deleted_at is None


def test_a_read_token_reads(company: Company) -> None:
    lead = company.lead(company.alice)
    _, raw = ApiToken.issue(company.alice, scope=TokenScope.READ)
    assert bearer(raw).get(f"/api/v1/leads/{lead.pk}").status_code == 200


def test_use_records_the_time_and_address(company: Company) -> None:
    token, raw = ApiToken.issue(company.alice)
    before = timezone.now()
    bearer(raw, address="198.51.100.4").get("/api/v1/me")
    token.refresh_from_db()
    assert token.last_used_ip == "198.51.100.4"
    assert token.last_used_at is not None and token.last_used_at >= before
    bearer(raw, address="198.51.100.9").get("/api/v1/me")
    token.refresh_from_db()
    assert token.last_used_ip == "198.51.100.9"
