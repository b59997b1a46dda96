"""The pages work under the Content-Security-Policy: the browser reports no violation."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page

from conftest import Company
from opportune.identity.models import User

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def test_the_main_pages_run_without_a_content_security_policy_violation(
    company: Company, open_browser: Callable[[User], Page]
) -> None:
    company.opportunity(company.alice)
    page = open_browser(company.maria)
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))
    for path in ("/my-work/", "/leads/", "/pipeline/", "/forecast/", "/analytics/", "/tokens/"):
        page.goto(path)
        page.wait_for_load_state("networkidle")
    violations = [m for m in messages if "Content Security Policy" in m]
    assert violations == []
