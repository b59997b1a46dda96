"""Admin screens for the lead configuration the settings page links to: statuses and the
qualification policy."""

from __future__ import annotations

from django.contrib import admin

from .models import LeadStatus, QualificationPolicy


@admin.register(LeadStatus)
class LeadStatusAdmin(admin.ModelAdmin[LeadStatus]):
    list_display = ("label", "key", "order", "is_default", "is_closed", "is_converted")
    list_editable = ("order",)
    ordering = ("order",)

    def has_delete_permission(self, request: object, obj: LeadStatus | None = None) -> bool:
        # New leads need the default status and conversion the converted one.
        return obj is None or not (obj.is_default or obj.is_converted)


@admin.register(QualificationPolicy)
class QualificationPolicyAdmin(admin.ModelAdmin[QualificationPolicy]):
    list_display = (
        "__str__",
        "require_need",
        "require_budget",
        "require_authority",
        "require_timeline",
    )

    def has_add_permission(self, request: object) -> bool:
        return not QualificationPolicy.objects.exists()

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False
