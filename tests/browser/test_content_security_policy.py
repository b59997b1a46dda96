"""The pages work under the Content-Security-Policy: the browser reports no violation."""

from __future__ import annotations

import pytest

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def test_the_main_pages_run_without_a_content_security_policy_violation(company, open_browser):
    company.opportunity(company.alice)
    page = open_browser(company.maria)
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))
    for path in ("/my-work/", "/leads/", "/pipeline/", "/forecast/", "/analytics/", "/tokens/"):
        page.goto(path)
        page.wait_for_load_state("networkidle")
    violations = [m for m in messages if "Content Security Policy" in m]
    assert violations == []
