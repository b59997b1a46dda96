"""``{% custom_values record %}``: a record's custom fields as rows of its Details list."""

from __future__ import annotations

from django import template
from django.db.models import Model
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from opportune.customfields.columns import cell
from opportune.customfields.models import CustomField
from opportune.customfields.services import display, fields_of

register = template.Library()


@register.simple_tag
def custom_values(record: Model) -> SafeString:
    """Every custom field of the record's kind, blank ones as "—" (two queries)."""
    values = getattr(record, "custom", None) or {}
    rows = [
        (field.label, display(field, values.get(field.key)) or "—")
        for field in fields_of(record._meta.model_name or "")
    ]
    if not rows:
        return SafeString("")
    return format_html_join("\n", '<div class="custom-value"><dt>{}</dt><dd>{}</dd></div>', rows)


@register.simple_tag
def custom_cell(record: Model, field: CustomField) -> str:
    """A list row's value of a custom column (its label for a picklist), "—" when blank."""
    return cell(field, record) or "—"
