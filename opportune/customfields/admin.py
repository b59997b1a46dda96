"""The settings screen for custom fields (linked from Settings): admins define fields, order
and retire picklist values and map lead fields for conversion. Kind, key and type are set
once; a new field gets its expression index, as the API's definitions do."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from opportune.errors import RuleViolation
from opportune.identity import policy

from .models import CustomField, PicklistValue
from .services import CONFIGURE, add_index, mapping_target


class PicklistValueInline(admin.TabularInline[PicklistValue, CustomField]):
    model = PicklistValue
    fields = ("position", "key", "label", "retired")
    extra = 3
    ordering = ("position", "id")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # records may hold the value: retire it instead

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ()


class CustomFieldForm(forms.ModelForm[CustomField]):
    class Meta:
        model = CustomField
        fields = ("kind", "key", "label", "type", "required", "help_text", "position", "maps_to")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        target = cleaned.get("maps_to")
        if target is not None:
            field = self.instance
            field.kind = cleaned.get("kind") or field.kind
            field.type = cleaned.get("type") or field.type
            try:
                if field.pk is None and field.kind != "lead":
                    raise RuleViolation("Only lead fields map to fields of converted records.")
                if field.pk is not None:
                    mapping_target(field, f"{target.kind}.{target.key}")
                elif target.type != field.type:
                    raise RuleViolation(f"'{target}' is a {target.type} field, not {field.type}.")
            except RuleViolation as refused:
                self.add_error("maps_to", refused.detail)
        return cleaned


@admin.register(CustomField)
class CustomFieldAdmin(admin.ModelAdmin[CustomField]):
    form = CustomFieldForm
    inlines = [PicklistValueInline]
    list_display = ("label", "kind", "key", "type", "required", "position", "maps_to")
    list_filter = ("kind", "type")
    ordering = ("kind", "position", "id")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # Records, filters, imports and saved mappings name a field by its key and type.
        return ("kind", "key", "type") if obj is not None else ()

    def _may(self, request: HttpRequest) -> bool:
        return policy.may_configure(request.user, CONFIGURE)  # type: ignore[arg-type]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._may(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._may(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # records hold its values

    def save_model(self, request: HttpRequest, obj: CustomField, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change:
            add_index(obj)
