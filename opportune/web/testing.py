"""Helpers shared by the web view tests. Import ``plain_static_files`` into a test module
(``# noqa: F401``) to apply it there.

Tests run with DEBUG off, where static files are served through the manifest that
``collectstatic`` writes; the view tests render pages without collecting, so they use the
plain storage.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

import pytest
from django.test import Client
from pytest_django import Settings

if TYPE_CHECKING:
    from opportune.identity.models import User

PLAIN_STATIC = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}


@pytest.fixture(autouse=True)
def plain_static_files(settings: Settings) -> None:
    settings.STORAGES = {**settings.STORAGES, "staticfiles": PLAIN_STATIC}


def logged_in(client: Client, user: User) -> Client:
    """The test client, logged in as ``user``."""
    client.force_login(user)
    return client


class HtmxHeaders(TypedDict):
    HTTP_HX_REQUEST: str


HTMX: HtmxHeaders = {"HTTP_HX_REQUEST": "true"}
