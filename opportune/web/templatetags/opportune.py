"""Template filters for sales figures and record badges, shared by every app's templates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django import template
from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma
from django.template.defaultfilters import date as date_filter
from django.utils import timezone
from django.utils.safestring import mark_safe

from opportune.identity import policy

if TYPE_CHECKING:
    from django.http import HttpRequest

register = template.Library()

# OPPORTUNE_DATE_FORMAT style -> (date, date without the year) in Django's date format.
DATE_STYLES = {
    "medium": ("j M Y", "j M"),
    "iso": ("Y-m-d", "Y-m-d"),
    "us": ("M j, Y", "M j"),
}


def date_formats() -> tuple[str, str]:
    """(full, short) formats of the installation's one date setting."""
    style = settings.OPPORTUNE_DATE_FORMAT
    return DATE_STYLES.get(style.lower(), (style, style))


@register.filter
def day(value: dt.date | dt.datetime | None) -> str:
    """A date (or a moment's local date) as OPPORTUNE_DATE_FORMAT says; "" for none."""
    return date_filter(value, date_formats()[0]) if value else ""


@register.filter
def day_short(value: dt.date | dt.datetime | None) -> str:
    """The same, without the year, where the year goes without saying (a task due soon)."""
    return date_filter(value, date_formats()[1]) if value else ""


@register.filter
def day_time(value: dt.datetime | None) -> str:
    """A moment: its local date as the setting says, then the time (24-hour)."""
    return date_filter(value, f"{date_formats()[0]} H:i") if value else ""


_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹"}


@register.filter
def money(value: Decimal | int | float | None, places: int = 0) -> str:
    """1234567.5 -> "$1,234,568" in the installation's currency."""
    if value is None or value == "":
        return "—"
    amount = round(Decimal(value), int(places))
    code = settings.OPPORTUNE_CURRENCY
    number = intcomma(f"{amount:.{int(places)}f}")
    symbol = _SYMBOLS.get(code)
    return f"{symbol}{number}" if symbol else f"{number} {code}"


@register.filter
def compact_money(value: Decimal | int | float | None) -> str:
    """1234567 -> "$1.2M": column headers stay narrow."""
    if value is None:
        return money(0)
    amount = Decimal(value)
    for limit, suffix in (
        (Decimal(1_000_000_000), "B"),
        (Decimal(1_000_000), "M"),
        (Decimal(1000), "k"),
    ):
        if abs(amount) >= limit:
            short = f"{amount / limit:.1f}".removesuffix(".0")
            code = settings.OPPORTUNE_CURRENCY
            symbol = _SYMBOLS.get(code)
            return f"{symbol}{short}{suffix}" if symbol else f"{short}{suffix} {code}"
    return money(amount)


@register.filter
def days_since(moment: dt.datetime | dt.date | None) -> int | None:
    if moment is None:
        return None
    day = timezone.localdate(moment) if isinstance(moment, dt.datetime) else moment
    return (timezone.localdate() - day).days


@register.filter
def initials(user: Any) -> str:
    if user is None:
        return "?"
    first, last = getattr(user, "first_name", ""), getattr(user, "last_name", "")
    letters = (first[:1] + last[:1]) or str(user)[:2]
    return letters.upper()


@register.filter
def field_label(name: str) -> str:
    """ "budget_confirmed" -> "Budget confirmed"."""
    return name.replace("_", " ").capitalize()


@register.simple_tag(takes_context=True)
def sort_link(context: template.Context, column: str) -> str:
    """The query string that sorts a list by ``column``, flipping direction when it already does."""
    request: HttpRequest = context["request"]
    params = request.GET.copy()
    current = params.get("sort", "")
    params["sort"] = f"-{column}" if current == column else column
    params.pop("cursor", None)
    return "?" + params.urlencode()


@register.simple_tag(takes_context=True)
def sort_state(context: template.Context, column: str) -> str:
    """aria-sort value for a column header."""
    current = context.get("sort") or ""
    if current == column:
        return "ascending"
    if current == f"-{column}":
        return "descending"
    return "none"


@register.simple_tag(takes_context=True)
def current_page(context: template.Context, prefix: str) -> str:
    """aria-current for the navigation entry whose section the page is in."""
    path = context["request"].path
    return mark_safe('aria-current="page"') if path.startswith(prefix) else ""


@register.filter
def sees(user: Any, kind: str) -> bool:
    """``user|sees:"opportunity"``: whether the policy shows the user this kind of record."""
    return bool(getattr(user, "is_authenticated", False)) and policy.sees_kind(user, kind)


@register.filter
def may_create(user: Any, kind: str) -> bool:
    """``user|may_create:"lead"``: whether the policy lets the user create this kind."""
    return bool(getattr(user, "is_authenticated", False)) and policy.may_create(user, kind)


@register.filter
def may_configure(user: Any, what: str) -> bool:
    """``user|may_configure:"webform"``: whether the policy lets the user set this up."""
    return bool(getattr(user, "is_authenticated", False)) and policy.may_configure(user, what)


@register.filter
def may_handle_personal_data(user: Any) -> bool:
    """``user|may_handle_personal_data``: whether the policy lets the user export or erase a
    person's data."""
    return bool(getattr(user, "is_authenticated", False)) and policy.may_handle_personal_data(user)


_COLORS = {
    # lead statuses
    "new": "blue",
    "working": "amber",
    "nurturing": "purple",
    "qualified": "green",
    "unqualified": "red",
    "converted": "brand",
    # ratings
    "hot": "red",
    "warm": "amber",
    "cold": "blue",
    # forecast categories
    "pipeline": "blue",
    "best_case": "purple",
    "commit": "amber",
    "closed": "green",
    "omitted": "red",
}


@register.filter
def color(key: str | None) -> str:
    """The badge colour class of a status, rating or forecast category key."""
    return f"badge-{_COLORS.get(key or '', 'gray')}"


@register.filter
def bare_url(url: str | None) -> str:
    """ "https://www.acme.example/" -> "acme.example": what a list column needs to show."""
    text = (url or "").strip()
    for prefix in ("https://", "http://", "www."):
        text = text.removeprefix(prefix)
    return text.rstrip("/")
