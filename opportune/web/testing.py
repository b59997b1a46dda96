"""Helpers shared by the web view tests. Import ``plain_static_files`` into a test module
(``# noqa: F401``) to apply it there.

Tests run with DEBUG off, where static files are served through the manifest that
``collectstatic`` writes; the view tests render pages without collecting, so they use the
plain storage.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

PLAIN_STATIC = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}


@pytest.fixture(autouse=True)
def plain_static_files(settings: Any) -> None:
    settings.STORAGES = {**settings.STORAGES, "staticfiles": PLAIN_STATIC}


def logged_in(client: Client, user: Any) -> Client:
    """The test client, logged in as ``user``."""
    client.force_login(user)
    return client


HTMX = {"HTTP_HX_REQUEST": "true"}
