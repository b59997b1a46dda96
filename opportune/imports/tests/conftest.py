from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import override_settings
from pytest_django import Settings

PLAIN_STATIC = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


@pytest.fixture(autouse=True)
def _plain_static_files() -> Iterator[None]:
    """Pages render without a collected manifest in tests."""
    with override_settings(STORAGES=PLAIN_STATIC):
        yield


@pytest.fixture(autouse=True)
def _private_data_dir(settings: Settings, tmp_path: Path) -> None:
    """Uploads land in a directory of the test's own."""
    settings.DATA_DIR = tmp_path
