"""Where a notification leads: its record's page, or for a summary its kind's list."""

from __future__ import annotations

from django.urls import reverse

from .models import Notification

PAGES = {
    "lead": ("leads:detail", "leads:list"),
    "account": ("accounts:detail", "accounts:list"),
    "contact": ("accounts:contact", "accounts:contacts"),
    "opportunity": ("opportunities:detail", "opportunities:list"),
}


def link_of(notification: Notification) -> str:
    page, listing = PAGES.get(notification.record_type, ("", "work:my_work"))
    if notification.record_id is None or not page:
        return reverse(listing)
    return reverse(page, kwargs={"pk": notification.record_id})
