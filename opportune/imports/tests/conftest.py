from __future__ import annotations

import pytest
from django.test import override_settings

PLAIN_STATIC = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


@pytest.fixture(autouse=True)
def _plain_static_files():  # type: ignore[no-untyped-def]
    """Pages render without a collected manifest in tests."""
    with override_settings(STORAGES=PLAIN_STATIC):
        yield
