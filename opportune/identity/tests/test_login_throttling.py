"""Log-in throttling: after OPPORTUNE_LOGIN_FAILURES wrong passwords for a username from one
address, that pair is locked out for the cool-off, even with the right password; failures are
recorded; the API's bearer tokens are not affected."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.test import Client

from conftest import Company
from opportune.identity.models import ApiToken
from opportune.web.testing import plain_static_files  # noqa: F401

PASSWORD = "correct-horse-battery"  # the company fixture's
FAILURES = 3


@pytest.fixture(autouse=True)
def _three_failures_lock_for_ten_minutes(settings: Any) -> None:
    settings.AXES_FAILURE_LIMIT = FAILURES
    settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=10)
    settings.OPPORTUNE_LOGIN_COOLOFF_MINUTES = 10


def _log_in(client: Client, username: str, password: str, address: str = "10.0.0.1") -> Any:
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def _fail(client: Client, username: str, times: int, address: str = "10.0.0.1") -> list[int]:
    return [_log_in(client, username, "wrong-password", address).status_code for _ in range(times)]


def test_the_right_password_after_too_many_failures_is_refused_with_429(
    company: Company, client: Client
) -> None:
    # The failure that reaches the limit already answers with the lockout page.
    assert _fail(client, "alice", FAILURES) == [200] * (FAILURES - 1) + [429]
    response = _log_in(client, "alice", PASSWORD)
    assert response.status_code == 429
    assert b"Account temporarily locked" in response.content
    assert b"locked for 10 minutes" in response.content
    assert "_auth_user_id" not in client.session


def test_fewer_failures_than_the_limit_still_let_the_right_password_in(
    company: Company, client: Client
) -> None:
    _fail(client, "alice", FAILURES - 1)
    assert _log_in(client, "alice", PASSWORD).status_code == 302
    assert client.session["_auth_user_id"] == str(company.alice.pk)


def test_a_success_forgets_earlier_failures(company: Company, client: Client) -> None:
    _fail(client, "alice", FAILURES - 1)
    assert _log_in(client, "alice", PASSWORD).status_code == 302
    client.logout()
    _fail(client, "alice", FAILURES - 1)
    assert _log_in(client, "alice", PASSWORD).status_code == 302


def test_the_lock_lifts_after_the_cool_off(company: Company, client: Client) -> None:
    _fail(client, "alice", FAILURES)
    assert _log_in(client, "alice", PASSWORD).status_code == 429
    # Let the cool-off pass: the failures happened eleven minutes ago.
    AccessAttempt.objects.update(attempt_time=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=11))
    assert _log_in(client, "alice", PASSWORD).status_code == 302


def test_the_lock_is_per_username_and_address(company: Company, client: Client) -> None:
    _fail(client, "alice", FAILURES, address="10.0.0.1")
    assert _log_in(Client(), "alice", PASSWORD, address="10.0.0.2").status_code == 302
    assert _log_in(Client(), "bob", PASSWORD, address="10.0.0.1").status_code == 302


def test_failures_are_recorded_with_username_and_address(company: Company, client: Client) -> None:
    _fail(client, "alice", 2)
    failures = AccessFailureLog.objects.filter(username="alice")
    assert failures.count() == 2
    assert {f.ip_address for f in failures} == {"10.0.0.1"}


def test_a_locked_out_user_s_api_token_still_works(company: Company, client: Client) -> None:
    _, raw = ApiToken.issue(company.alice)
    _fail(client, "alice", FAILURES)
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}", REMOTE_ADDR="10.0.0.1")
    assert response.status_code == 200


def test_a_log_in_without_a_usable_address_still_works(company: Company, client: Client) -> None:
    """Failures are stored by IP address; a garbled one (no peer) must not break the log-in."""
    response = client.post("/login/", {"username": "alice", "password": PASSWORD}, REMOTE_ADDR="")
    assert response.status_code == 302
