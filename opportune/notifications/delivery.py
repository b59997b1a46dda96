"""From notices to stored notifications and queued e-mails: visibility first (nobody hears
of a record they cannot see), then each person's channel, then the storm rule (a bulk write
or an import batch tells each person once, in a summary), in a few queries per batch."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from functools import partial

from django.db import transaction
from django.utils import timezone

from opportune.identity import policy
from opportune.identity.models import User

from .models import DEFAULT_CHANNELS, Channel, EmailState, Notification, Preference
from .rules import NOUNS, Notice

Group = tuple[int, str, str, int | None]  # recipient, kind, record type, actor
# More notices than this of one kind, by one actor, for one person in one transaction are
# told as one summary ("Alice assigned you 2,000 leads").
STORM = 10
# An unread summary this recent grows instead of a new one: an import's batches (one
# transaction each) end as one summary per person and job.
COALESCE = dt.timedelta(hours=1)

_SUMMARIES = {
    "assigned": "assigned you {n} {nouns}",
    "deal_moved": "moved or closed {n} of your deals",
    "mentioned": "mentioned you in {n} notes",
    "task_due": "{n} of your tasks fall due",
}


def channels(user_ids: set[int]) -> dict[int, dict[str, str]]:
    """Each person's channel per kind, the defaults filled in (one query)."""
    chosen: dict[int, dict[str, str]] = {pk: dict(DEFAULT_CHANNELS) for pk in user_ids}
    for pref in Preference.objects.filter(user_id__in=user_ids):
        chosen[pref.user_id][pref.kind] = pref.channel
    return chosen


def _visible(notices: list[Notice], users: dict[int, User]) -> list[Notice]:
    """The notices about records their recipient sees: one query per person and kind."""
    from opportune.audit.bin import model_of

    wanted: dict[tuple[int, str], set[int]] = defaultdict(set)
    for notice in notices:
        if notice.recipient_id in users:
            wanted[(notice.recipient_id, notice.record_type)].add(notice.record_id)
    seen: set[tuple[int, str, int]] = set()
    for (user_id, kind), ids in wanted.items():
        user = users[user_id]
        if not policy.sees_kind(user, kind):
            continue
        rows = policy.visible(user, model_of(kind)).filter(pk__in=ids)
        seen.update((user_id, kind, pk) for pk in rows.values_list("pk", flat=True))
    return [n for n in notices if (n.recipient_id, n.record_type, n.record_id) in seen]


def _title(notice: Notice, names: dict[int, str]) -> str:
    if not notice.by_actor:
        return notice.text[:300]
    actor = names.get(notice.actor_id or 0, "Opportune")  # no actor: a web form, a rule
    return f"{actor} {notice.text}"[:300]


def deliver(notices: list[Notice], now: dt.datetime | None = None) -> list[Notification]:
    """Store the notifications the notices' recipients may see and want, and queue their
    e-mails for the worker once stored. Returns the rows created or grown."""
    if not notices:
        return []
    now = now or timezone.now()
    recipient_ids = {n.recipient_id for n in notices}
    users = User.objects.filter(is_active=True).in_bulk(recipient_ids)
    notices = _visible(notices, users)
    chosen = channels({n.recipient_id for n in notices})
    notices = [n for n in notices if chosen[n.recipient_id][n.kind] != Channel.NONE]
    if not notices:
        return []
    actors = {n.actor_id for n in notices if n.actor_id}
    names = {u.pk: str(u) for u in User.objects.filter(pk__in=actors)}
    groups: dict[Group, list[Notice]] = defaultdict(list)
    for notice in notices:
        groups[(notice.recipient_id, notice.kind, notice.record_type, notice.actor_id)].append(
            notice
        )
    return _store(groups, chosen, names, now)


@transaction.atomic
def _store(
    groups: dict[Group, list[Notice]],
    chosen: dict[int, dict[str, str]],
    names: dict[int, str],
    now: dt.datetime,
) -> list[Notification]:
    new: list[Notification] = []
    grown: list[Notification] = []
    for (recipient_id, kind, record_type, actor_id), group in groups.items():
        channel = chosen[recipient_id][kind]
        in_app = channel in (Channel.IN_APP, Channel.BOTH)
        email = EmailState.QUEUED if channel in (Channel.EMAIL, Channel.BOTH) else ""
        if len(group) <= STORM:
            new += [
                Notification(
                    recipient_id=recipient_id,
                    kind=kind,
                    actor_id=actor_id,
                    record_type=record_type,
                    record_id=n.record_id,
                    title=_title(n, names),
                    created_at=now,
                    in_app=in_app,
                    email_state=email,
                )
                for n in group
            ]
            continue
        summary = _summary(recipient_id, kind, record_type, actor_id, len(group), now)
        if summary.pk:
            grown.append(summary)
        else:
            summary.in_app, summary.email_state = in_app, email
            new.append(summary)
        summary.title = _summary_title(summary, names)
    created = Notification.objects.bulk_create(new)
    for summary in grown:
        summary.save(update_fields=["count", "title"])
    queued = [n.pk for n in created if n.email_state == EmailState.QUEUED]
    if queued:
        transaction.on_commit(partial(_enqueue, queued))
    return created + grown


def _summary(
    recipient_id: int, kind: str, record_type: str, actor_id: int | None, n: int, now: dt.datetime
) -> Notification:
    """The recent unread summary of these notices, grown by ``n``, else a new one."""
    recent = (
        Notification.objects.select_for_update()
        .filter(
            recipient_id=recipient_id,
            kind=kind,
            record_type=record_type,
            actor_id=actor_id,
            record_id__isnull=True,
            read_at__isnull=True,
            created_at__gte=now - COALESCE,
        )
        .order_by("-pk")
        .first()
    )
    if recent is not None:
        recent.count += n
        return recent
    return Notification(
        recipient_id=recipient_id,
        kind=kind,
        actor_id=actor_id,
        record_type=record_type,
        record_id=None,
        count=n,
        created_at=now,
    )


def _summary_title(summary: Notification, names: dict[int, str]) -> str:
    noun = NOUNS.get(summary.record_type, summary.record_type)
    text = _SUMMARIES[summary.kind].format(n=f"{summary.count:,}", nouns=f"{noun}s")
    if summary.kind == "task_due":
        return text[:1].upper() + text[1:]
    return f"{names.get(summary.actor_id or 0, 'Opportune')} {text}"


def _enqueue(notification_ids: list[int]) -> None:
    from .tasks import send_notification_email

    for pk in notification_ids:
        send_notification_email.enqueue(pk)
