"""Public web-to-lead forms: a website posts a form to /api/v1/web-to-lead/<key>, no login.

Abuse is held off by a honeypot field, a per-address rate limit kept in the database (so
every application process shares it) and size limits. A post whose email matches an open
lead updates that lead instead of creating a duplicate.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone
from pydantic import ValidationError

from opportune.activities.models import Activity, ActivityKind
from opportune.audit.services import record_changes, snapshot
from opportune.errors import DomainError, RuleViolation
from opportune.fields import fill_empty
from opportune.leads.models import Lead
from opportune.leads.schemas import LeadCreate
from opportune.leads.services import TRACKED_FIELDS, create_lead
from opportune.schemas import field_errors

from . import keys
from .models import SubmissionWindow, WebForm


class TooManyRequests(DomainError):
    status = 429
    title = "Too many requests"


class PayloadTooLarge(DomainError):
    status = 413
    title = "Payload too large"


MAX_BODY_BYTES = 32 * 1024
MAX_FIELD_CHARS = 4000
NOT_PROVIDED = "[not provided]"  # what Salesforce's web-to-lead stores for a missing company


def rate_limit() -> int:
    return settings.OPPORTUNE_WEB_TO_LEAD_PER_MINUTE


def count_submission(address: str, now: Any = None) -> int:
    """Count one post from ``address`` in the current minute; answer the minute's count."""
    now = now or timezone.now()
    window = now.replace(second=0, microsecond=0)
    with transaction.atomic():
        updated = SubmissionWindow.objects.filter(address=address, window_start=window).update(
            count=F("count") + 1
        )
        if not updated:
            SubmissionWindow.objects.filter(window_start__lt=window - timedelta(hours=1)).delete()
            try:
                with transaction.atomic():
                    SubmissionWindow.objects.create(address=address, window_start=window, count=1)
            except IntegrityError:
                SubmissionWindow.objects.filter(address=address, window_start=window).update(
                    count=F("count") + 1
                )
        return SubmissionWindow.objects.get(address=address, window_start=window).count


@dataclass(frozen=True)
class Submission:
    lead: Lead | None
    created: bool = False
    ignored: bool = False  # the honeypot was filled: answer as if accepted, keep nothing


def check_sizes(data: dict[str, str]) -> None:
    too_long = [name for name, value in data.items() if len(value) > MAX_FIELD_CHARS]
    if too_long:
        raise PayloadTooLarge(
            f"Fields may hold at most {MAX_FIELD_CHARS} characters.",
            {name: [f"At most {MAX_FIELD_CHARS} characters."] for name in too_long},
        )


def submit_web_form(form: WebForm, data: dict[str, str], address: str) -> Submission:
    """A post to a public form: a new lead, or, when an open lead has this email, that lead
    with its empty fields filled and an activity "Form submitted again"."""
    if count_submission(address) > rate_limit():
        raise TooManyRequests("Too many submissions from your address; try again in a minute.")
    check_sizes(data)
    if data.get(form.honeypot_field, "").strip():
        return Submission(None, ignored=True)
    allowed = form.field_names()
    values: dict[str, Any] = {k: v for k, v in data.items() if k in allowed and v.strip()}
    missing = [name for name in form.required_names() if not str(values.get(name, "")).strip()]
    if missing:
        raise RuleViolation(
            "Some required fields are empty.", {n: ["This field is required."] for n in missing}
        )
    values.setdefault("last_name", NOT_PROVIDED)
    values.setdefault("company", NOT_PROVIDED)
    if form.source:
        values["source"] = form.source
    if form.campaign:
        values["campaign"] = form.campaign
    try:
        lead_input = LeadCreate.model_validate(values)
    except ValidationError as exc:
        raise RuleViolation("Some fields are invalid.", field_errors(exc.errors())) from exc
    with transaction.atomic():
        existing = _open_lead_with_email(lead_input.email or "")
        if existing is not None:
            _fill_empty(existing, lead_input.model_dump(exclude_unset=True))
            return Submission(existing)
        lead = create_lead(form.created_by, lead_input, default_owner=form.default_owner)
    return Submission(lead, created=True)


def _open_lead_with_email(email: str) -> Lead | None:
    if not email:
        return None
    return (
        Lead.objects.select_for_update()
        .filter(email_key=keys.email_key(email), is_converted=False, status__is_closed=False)
        .order_by("-pk")
        .first()
    )


def _fill_empty(lead: Lead, values: dict[str, Any]) -> None:
    before = snapshot(lead, TRACKED_FIELDS)
    filled = fill_empty_fields(lead, values.items())
    lead.save()
    record_changes(None, lead, before, snapshot(lead, TRACKED_FIELDS))  # by the web form
    body = "Filled: " + ", ".join(filled) if filled else "No new information."
    Activity.objects.create(
        kind=ActivityKind.NOTE,
        subject="Form submitted again",
        body=body,
        lead=lead,
        owner=lead.owner,
        is_done=True,
        done_at=timezone.now(),
    )


def fill_empty_fields(lead: Lead, values: Iterable[tuple[str, Any]]) -> list[str]:
    """Set the fields that are empty on the lead; never overwrite. Answer the fields set."""
    given = ((name, value) for name, value in values if name not in {"owner_id", "status"})
    return fill_empty(lead, given, placeholders={NOT_PROVIDED})


def form_action(form: WebForm, base_url: str) -> str:
    """The URL the website posts to; ``base_url`` is the CRM's address as browsers reach it."""
    root = base_url or settings.OPPORTUNE_BASE_URL
    return f"{root.rstrip('/')}/api/v1/web-to-lead/{form.key}"


def form_snippet(form: WebForm, base_url: str) -> str:
    """The HTML form a marketer pastes into the website."""
    required = form.required_names()
    fields = [
        (
            name,
            str(getattr(Lead._meta.get_field(name), "verbose_name", name)).capitalize(),
            name in required,
        )
        for name in form.field_names()
    ]
    context = {"form": form, "fields": fields, "action": form_action(form, base_url)}
    return render_to_string("capture/snippet.html", context).strip()
