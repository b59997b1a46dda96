"""OPPORTUNE_HTTPS makes `check --deploy` clean, and every page carries the CSP."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

import pytest
from django.test import Client

from opportune.web.testing import plain_static_files  # noqa: F401


def _deploy_check(**env: str) -> subprocess.CompletedProcess[str]:
    # (The browser tests' conftest sets DJANGO_ALLOW_ASYNC_UNSAFE, which the check reports.)
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    environment = {
        **inherited,
        "DJANGO_SETTINGS_MODULE": "opportune.settings",
        "OPPORTUNE_SECRET_KEY": secrets.token_urlsafe(60),
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


def test_deploy_check_has_no_warnings_with_https_on() -> None:
    result = _deploy_check(OPPORTUNE_HTTPS="1", OPPORTUNE_BEHIND_PROXY="1")
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_deploy_check_warns_about_cookies_and_hsts_without_https() -> None:
    result = _deploy_check(OPPORTUNE_HTTPS="0")
    assert result.returncode != 0
    for warning in ("W004", "W008", "W012", "W016"):
        assert warning in result.stderr


@pytest.mark.django_db
def test_pages_forbid_inline_scripts_and_framing() -> None:
    response = Client().get("/login/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self';" in policy
    assert "frame-ancestors 'none'" in policy
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_no_template_has_inline_scripts_or_event_attributes() -> None:
    """The CSP allows scripts only from static files: a ``<script>`` with a body or an
    ``onclick=`` in a template would be blocked in the browser."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    offenders = []
    for template in root.rglob("templates/**/*.html"):
        text = template.read_text()
        if re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", text) or re.search(
            r"\son[a-z]+\s*=", text
        ):
            offenders.append(str(template.relative_to(root)))
    assert offenders == []
