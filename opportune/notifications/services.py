"""A person's inbox: reading, marking read, and their choices per kind of event. Each
function acts on the acting user's own notifications only (someone else's is a 404)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404

from opportune.identity.models import User

from .delivery import channels
from .models import Channel, Kind, Notification, Preference


def inbox(user: User, *, unread_only: bool = False) -> QuerySet[Notification]:
    """The user's in-app notifications (page them newest first, by id)."""
    rows = Notification.objects.filter(recipient=user, in_app=True)
    return rows.filter(read_at__isnull=True) if unread_only else rows


def unread_count(user: User) -> int:
    """The bell's number: one count on the partial index of unread rows."""
    return inbox(user, unread_only=True).count()


def own(user: User, pk: int) -> Notification:
    notification = inbox(user).filter(pk=pk).first()
    if notification is None:
        raise Http404("No such notification.")
    return notification


def mark_read(user: User, notification: Notification, now: dt.datetime) -> Notification:
    if notification.recipient_id != user.pk:
        raise Http404("No such notification.")
    if notification.read_at is None:
        notification.read_at = now
        notification.save(update_fields=["read_at"])
    return notification


def mark_all_read(user: User, now: dt.datetime) -> int:
    """Mark every unread notification read; returns how many were."""
    return inbox(user, unread_only=True).update(read_at=now)


def preferences(user: User) -> dict[str, str]:
    """The user's channel per kind, defaults filled in, in the kinds' order."""
    chosen = channels({user.pk})[user.pk]
    return {kind.value: chosen[kind.value] for kind in Kind}


@transaction.atomic
def set_preferences(user: User, changes: dict[str, str]) -> dict[str, str]:
    """Store the channels given (kinds and channels already validated by the schema)."""
    for kind, channel in changes.items():
        Preference.objects.update_or_create(
            user=user, kind=Kind(kind), defaults={"channel": Channel(channel)}
        )
    return preferences(user)
