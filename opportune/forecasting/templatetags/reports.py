"""Formatting report cells: rates as percentages, amounts with thousands separators."""

from __future__ import annotations

from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def report_cell(value: object, header: str = "") -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, Decimal | float | int):
        return str(value)
    if "rate" in header:
        return f"{float(value):.1%}"
    if isinstance(value, int):
        return f"{value:,}"
    number = float(value)
    return f"{number:,.0f}" if abs(number) >= 100 else f"{number:,.2f}"
