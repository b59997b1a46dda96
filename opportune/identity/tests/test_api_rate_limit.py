"""API rate limit: OPPORTUNE_API_RATE_PER_MINUTE requests per user in any sliding minute, over
all of the user's tokens; beyond, a 429 problem document with Retry-After. The clock is fixed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from conftest import ApiClient, Company
from opportune.identity.models import User
from opportune.identity.throttling import ApiRateThrottle

pytestmark = pytest.mark.django_db


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch, settings: Any) -> Clock:
    settings.OPPORTUNE_API_RATE_PER_MINUTE = 5
    fixed = Clock()
    monkeypatch.setattr(ApiRateThrottle, "timer", staticmethod(fixed))
    return fixed


def test_the_request_beyond_the_rate_is_a_429_problem_with_retry_after(
    company: Company, api: Callable[[User], ApiClient], clock: Clock
) -> None:
    alice = api(company.alice)
    for _ in range(5):
        assert alice.get("/api/v1/me").status_code == 200
        clock.now += 1
    response = alice.get("/api/v1/me")
    assert response.status_code == 429
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 429
    assert response.json()["title"] == "Too many requests."
    # The first of the five leaves the window 60 s after it was made, 55 s from now.
    assert response["Retry-After"] == "55"


def test_requests_are_allowed_again_once_the_minute_has_passed(
    company: Company, api: Callable[[User], ApiClient], clock: Clock
) -> None:
    alice = api(company.alice)
    for _ in range(5):
        alice.get("/api/v1/me")
    assert alice.get("/api/v1/me").status_code == 429
    clock.now += 60.5
    assert alice.get("/api/v1/me").status_code == 200


def test_a_second_token_shares_its_users_budget(
    company: Company, api: Callable[[User], ApiClient], clock: Clock
) -> None:
    first, second = api(company.alice), api(company.alice)
    for _ in range(5):
        first.get("/api/v1/me")
    assert second.get("/api/v1/me").status_code == 429


def test_each_user_has_their_own_budget(
    company: Company, api: Callable[[User], ApiClient], clock: Clock
) -> None:
    alice, bob = api(company.alice), api(company.bob)
    for _ in range(5):
        alice.get("/api/v1/me")
    assert alice.get("/api/v1/me").status_code == 429
    assert bob.get("/api/v1/me").status_code == 200


def test_web_to_lead_keeps_its_own_limit_and_is_not_counted_here(
    company: Company, client: Client, clock: Clock
) -> None:
    statuses = {client.post("/api/v1/web-to-lead/no-such-form").status_code for _ in range(8)}
    assert 429 not in statuses
