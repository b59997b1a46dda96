from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _reinstall(using: str = "default", **kwargs: Any) -> None:
    """After every migrate: recreate triggers a table rebuild dropped (index.py says why)."""
    from django.db import connections

    from . import index

    index.install(connections[using])


class SearchConfig(AppConfig):
    name = "opportune.search"
    label = "search"
    verbose_name = "Search"

    def ready(self) -> None:
        post_migrate.connect(_reinstall, sender=self, dispatch_uid="search-index-install")
