"""The worker's side of notifications: the e-mails (never sent in a request) and the
periodic scan for tasks falling due, chained like opportune.housekeeping (django-tasks has
no scheduler: each run enqueues the next; ``opportune worker`` starts the chain)."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone
from django_tasks import task

from .due import notify_due_tasks
from .links import link_of
from .models import EmailState, Notification

SCAN_EVERY = dt.timedelta(minutes=15)
log = logging.getLogger(__name__)


@task()
def send_notification_email(notification_id: int) -> str:
    return send_email(notification_id)


def send_email(notification_id: int) -> str:
    """Send a queued notification's e-mail once; its state says what happened."""
    notification = (
        Notification.objects.select_related("recipient")
        .filter(pk=notification_id, email_state=EmailState.QUEUED)
        .first()
    )
    if notification is None:
        return "not queued"
    address = notification.recipient.email
    if not address:
        state = EmailState.NO_ADDRESS
    else:
        base = settings.OPPORTUNE_BASE_URL.rstrip("/")
        body = (
            f"{notification.title}\n\nOpen it: {base}{link_of(notification)}\n\n"
            f"Choose what you are told, and how: {base}/notifications/preferences/\n"
        )
        try:
            send_mail(
                f"[Opportune] {notification.title}"[:200],
                body,
                settings.OPPORTUNE_EMAIL_FROM,
                [address],
            )
            state = EmailState.SENT
        except OSError:  # smtplib's errors are OSErrors: refused, unreachable, timed out
            log.exception("Notification %s: the e-mail could not be sent", notification_id)
            state = EmailState.FAILED
    Notification.objects.filter(pk=notification_id).update(email_state=state)
    return state


@task()
def scan_due_tasks() -> int:
    told = notify_due_tasks(timezone.now())
    if scan_due_tasks.get_backend().supports_defer:
        scan_due_tasks.using(run_after=timezone.now() + SCAN_EVERY).enqueue()
    return told


def schedule_due_scan() -> None:
    """Enqueue a scan now unless one is waiting (database backend) to run."""
    from django_tasks_db.models import DBTaskResult

    if not scan_due_tasks.get_backend().supports_defer:
        return
    waiting = DBTaskResult.objects.filter(
        task_path=scan_due_tasks.module_path, status__in=["READY", "RUNNING"]
    )
    if not waiting.exists():
        scan_due_tasks.enqueue()
