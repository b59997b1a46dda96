"""Admin screens for the deal configuration the settings page links to: pipelines with
their stages, and lost reasons."""

from __future__ import annotations

from django.contrib import admin

from .models import LostReason, Pipeline, Stage


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


@admin.register(Pipeline)
class PipelineAdmin(admin.ModelAdmin[Pipeline]):
    list_display = ("name", "key", "is_default")
    inlines = [StageInline]


@admin.register(LostReason)
class LostReasonAdmin(admin.ModelAdmin[LostReason]):
    list_display = ("label", "key", "order", "is_active")
    list_editable = ("order", "is_active")
