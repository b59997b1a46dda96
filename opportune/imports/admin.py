"""Admin screens: saved column mappings (edited as JSON) and the import log."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from .models import ImportJob, ImportMapping


@admin.register(ImportMapping)
class ImportMappingAdmin(admin.ModelAdmin[ImportMapping]):
    list_display = ("name", "target", "created_by", "created_at")
    list_filter = ("target",)


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin[ImportJob]):
    list_display = (
        "pk", "filename", "target", "status", "dry_run", "rows_done", "created", "updated",
        "invalid", "created_by", "created_at",
    )  # fmt: skip
    list_filter = ("status", "target", "dry_run")
    readonly_fields = [f.name for f in ImportJob._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
