"""``{% inline_edit record "field" %}``: the edit button of one field row on a record page
(opportune/inline.py), shown only to a user the policy lets change the record."""

from __future__ import annotations

from typing import Any

from django import template
from django.db.models import Model
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


def field_label(record: Model, name: str) -> str:
    label = str(getattr(record._meta.get_field(name), "verbose_name", name))
    return label[:1].upper() + label[1:]


@register.simple_tag(takes_context=True)
def inline_edit(
    context: template.Context, record: Model, name: str, focus: bool = False
) -> SafeString:
    """``focus``: after a save, the button takes the focus the closed form had."""
    from opportune.inline import editable  # the sales apps' forms: imported when first used

    user = context["request"].user
    # Asked once per record and page, however many of its rows are editable.
    asked = f"inline_editable_{record._meta.model_name}_{record.pk}"
    if asked not in context.render_context:
        context.render_context[asked] = editable(user, record)
    if not context.render_context[asked]:
        return mark_safe("")
    kind = record._meta.model_name or ""
    url = reverse("inline:field", kwargs={"kind": kind, "pk": record.pk})
    values: dict[str, Any] = {
        "url": f"{url}?field={name}",
        "label": field_label(record, name),
        "target": f"inline-{kind}-{name}",
        "focus": focus,
    }
    return mark_safe(render_to_string("web/inline_field.html#button", values))
