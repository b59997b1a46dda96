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


@pytest.fixture(autouse=True)
def _private_data_dir(settings, tmp_path):  # type: ignore[no-untyped-def]
    """Uploads land in a directory of the test's own."""
    settings.DATA_DIR = tmp_path
