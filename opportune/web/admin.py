"""Admin screens for the sales configuration the settings page links to (stages, statuses,
lost reasons, the qualification policy), and the admin's branding.

Registered here only when the owning app has not registered the model itself.
"""

from __future__ import annotations

from typing import TypeVar

from django.contrib import admin
from django.db.models import Model

from opportune.leads.models import LeadStatus, QualificationPolicy
from opportune.opportunities.models import LostReason, Pipeline, Stage

M = TypeVar("M", bound=Model)

admin.site.site_header = "Opportune settings"
admin.site.site_title = "Opportune"
admin.site.index_title = "Configuration"
admin.site.site_url = "/my-work/"


class StageInline(admin.TabularInline[Stage, Pipeline]):
    model = Stage
    extra = 0
    fields = (
        "order",
        "key",
        "label",
        "default_probability",
        "forecast_category",
        "is_closed",
        "is_won",
        "is_active",
    )
    ordering = ("order",)


class PipelineAdmin(admin.ModelAdmin[Pipeline]):
    list_display = ("name", "key", "is_default")
    inlines = [StageInline]


class LeadStatusAdmin(admin.ModelAdmin[LeadStatus]):
    list_display = ("label", "key", "order", "is_default", "is_closed", "is_converted")
    list_editable = ("order",)
    ordering = ("order",)

    def has_delete_permission(self, request: object, obj: LeadStatus | None = None) -> bool:
        # New leads need the default status and conversion the converted one.
        return obj is None or not (obj.is_default or obj.is_converted)


class LostReasonAdmin(admin.ModelAdmin[LostReason]):
    list_display = ("label", "key", "order", "is_active")
    list_editable = ("order", "is_active")


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


def _register(model: type[M], model_admin: type[admin.ModelAdmin[M]]) -> None:
    if not admin.site.is_registered(model):
        admin.site.register(model, model_admin)


_register(Pipeline, PipelineAdmin)
_register(LeadStatus, LeadStatusAdmin)
_register(LostReason, LostReasonAdmin)
_register(QualificationPolicy, QualificationPolicyAdmin)
