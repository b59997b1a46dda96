"""Issuing an API token on the tokens page shows it once; revoking removes it, in a browser."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from opportune.identity.models import ApiToken, hash_token

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]
_shots = os.environ.get("OPPORTUNE_SCREENSHOTS")
SHOTS = Path(_shots) if _shots else None


def test_a_user_issues_a_token_sees_it_once_and_revokes_it(company, open_browser):  # type: ignore[no-untyped-def]
    page = open_browser(company.alice)
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))
    page.get_by_role("link", name="API tokens").click()
    page.get_by_label("Name").fill("nightly export")
    page.get_by_label("Scope").select_option("read")
    page.get_by_label("Expires in days").fill("90")
    page.get_by_role("button", name="Issue a token").click()
    shown = page.locator("#issued-token code").inner_text()
    token = ApiToken.objects.get(user=company.alice, name="nightly export")
    assert hash_token(shown) == token.key_hash and token.scope == "read"
    if SHOTS:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "api-tokens.png"), full_page=True)
    page.reload()
    assert page.locator("#issued-token").count() == 0
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Revoke").click()
    page.get_by_text("You have no API tokens.").wait_for()
    token.refresh_from_db()
    assert token.revoked
    assert [m for m in messages if "Content Security Policy" in m] == []
