"""``{{ lead.country|country_name }}``: countries are stored as ISO codes, shown by name."""

from __future__ import annotations

from django import template

from opportune.schemas import country_name as name_of

register = template.Library()


@register.filter
def country_name(code: str | None) -> str:
    return name_of(code) if code else ""
