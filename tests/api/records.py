"""Alice's records, one of each kind an API path can name, for the generated endpoint tests.

An app whose endpoints name a new kind of record by a path parameter (``{merge_id}``) adds a
builder here: it receives the company and the records built so far and returns the new id.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from conftest import Company
from opportune.activities.models import Activity

Builder = Callable[[Company, dict[str, Any]], int]


def _lead(company: Company, built: dict[str, Any]) -> int:
    return company.lead(company.alice).pk


def _opportunity(company: Company, built: dict[str, Any]) -> int:
    return company.opportunity(company.alice).pk


def _account(company: Company, built: dict[str, Any]) -> int:
    return company.account(company.alice, "Alice's account").pk


def _contact(company: Company, built: dict[str, Any]) -> int:
    return company.contact(company.alice, None).pk


def _activity(company: Company, built: dict[str, Any]) -> int:
    return Activity.objects.create(
        kind="note", subject="Met at the fair", owner=company.alice, lead_id=built["lead_id"]
    ).pk


def _contact_role(company: Company, built: dict[str, Any]) -> int:
    from opportune.opportunities.models import ContactRole

    return ContactRole.objects.create(
        opportunity_id=built["opportunity_id"], contact_id=built["contact_id"], is_primary=True
    ).pk


def _merge(company: Company, built: dict[str, Any]) -> int:
    from opportune.capture.merge import merge_leads

    first, second = company.lead(company.alice), company.lead(company.alice, last_name="Twin")
    return merge_leads(company.alice, first.pk, [second.pk]).pk


def _import_job(company: Company, built: dict[str, Any]) -> int:
    from opportune.imports.services import create_job, store_file

    path = store_file(io.BytesIO(b"LastName,Company\nDoe,Initech\n"))
    return create_job(company.alice, "leads", path, "leads.csv", dry_run=True).pk


def _api_token(company: Company, built: dict[str, Any]) -> int:
    from opportune.identity.models import ApiToken

    return ApiToken.issue(company.alice, "alice's laptop")[0].pk


def _custom_field(company: Company, built: dict[str, Any]) -> int:
    from opportune.customfields.tests.helpers import define

    return define(company.ada, "lead", "nickname", "text").pk


def _webhook(company: Company, built: dict[str, Any]) -> int:
    from opportune.webhooks.models import Subscription

    return Subscription.objects.create(
        url="https://hooks.example/", event_types=["lead.created"]
    ).pk


def _webhook_delivery(company: Company, built: dict[str, Any]) -> int:
    from django.utils import timezone

    from opportune.webhooks.models import Delivery, Event

    event = Event.objects.create(
        event_type="lead.created",
        record_type="lead",
        record_id=built["lead_id"],
        payload={},
        created_at=timezone.now(),
    )
    return Delivery.objects.create(
        subscription_id=built["subscription_id"], event=event, created_at=event.created_at
    ).pk


def _notification(company: Company, built: dict[str, Any]) -> int:
    from django.utils import timezone

    from opportune.notifications.models import Notification

    return Notification.objects.create(
        recipient=company.alice,
        kind="assigned",
        record_type="lead",
        record_id=built["lead_id"],
        title="Ada assigned you the lead",
        created_at=timezone.now(),
    ).pk


def _saved_view(company: Company, built: dict[str, Any]) -> int:
    from opportune.savedviews.schemas import ViewCreate
    from opportune.savedviews.services import save_view

    return save_view(company.alice, ViewCreate(kind="leads", name="Alice's view")).pk


RECORD_BUILDERS: dict[str, Builder] = {
    "lead_id": _lead,
    "opportunity_id": _opportunity,
    "account_id": _account,
    "contact_id": _contact,
    "activity_id": _activity,
    "role_id": _contact_role,
    "merge_id": _merge,
    "job_id": _import_job,
    "token_id": _api_token,
    "field_id": _custom_field,
    "notification_id": _notification,
    # Admins' settings, not anyone's records: tested apart (ADMIN_ONLY_PARAMS).
    "subscription_id": _webhook,
    "delivery_id": _webhook_delivery,
    "view_id": _saved_view,
}


def alices_records(company: Company) -> dict[str, Any]:
    built: dict[str, Any] = {}
    for param, build in RECORD_BUILDERS.items():
        built[param] = build(company, built)
    return built
