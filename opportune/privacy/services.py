"""A person's data: everything Opportune holds about a lead or contact, exported as JSON, and
its erasure (anonymization) everywhere it was copied.

A person is the record asked about together with the records that hold the same person: a
lead's converted contact and the leads merged into it; a contact's leads converted into it.
Erasure blanks their personal fields and duplicate-matching keys, the subject and body of
their activities, those values in the field history (of the person's records, their
activities, and the account and deal converted from them), in merge snapshots, import
reports and webhook events, and records one ``erased`` history row per record, which names
no value. Consent flags (do not call, email opt-out) are kept: they are what must still be
honoured. Uploaded import files are not searched; they are deleted after their retention.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.db.models import Q
from django.utils import timezone

from opportune.accounts.models import Account, Contact
from opportune.activities.models import Activity
from opportune.audit.models import FieldChange
from opportune.audit.services import write_history
from opportune.capture.models import LeadMerge
from opportune.errors import NotAllowed
from opportune.identity import policy
from opportune.identity.models import User
from opportune.imports.models import ImportRowError
from opportune.leads.models import MATCH_KEY_FIELDS, Lead
from opportune.opportunities.models import Opportunity
from opportune.search import words as search_words
from opportune.webhooks.models import Event
from opportune.webhooks.publishing import record_data

ERASED = "[erased]"  # in a required field; optional ones are emptied
PERSONAL_FIELDS: dict[str, list[str]] = {
    "lead": [
        "first_name", "last_name", "title", "email", "phone", "website", "street", "city",
        "state", "postal_code", "description", "decision_maker", "decision_maker_title",
        "need_description", "disqualify_reason",
    ],
    "contact": [
        "first_name", "last_name", "title", "email", "phone", "mailing_street",
        "mailing_city", "mailing_state", "mailing_postal_code",
    ],
    "activity": ["subject", "body"],
}  # fmt: skip
REQUIRED = {"last_name", "subject"}
CONSENT_FIELDS = ["do_not_call", "email_opt_out"]
# History rows whose value names the record (at creation; the leads merged into it).
_NAMING_ROWS = {"created", "merged"}

Person = Lead | Contact


def require_personal_data_access(actor: User) -> None:
    if not policy.may_handle_personal_data(actor):
        raise NotAllowed("Only admins export or erase a person's data.")


@dataclass
class PersonRecords:
    leads: list[Lead]
    contacts: list[Contact]

    def activities(self) -> models.QuerySet[Activity]:
        return Activity.with_deleted.filter(
            Q(lead__in=[lead.pk for lead in self.leads])
            | Q(contact__in=[c.pk for c in self.contacts])
        )


def records_of(record: Person) -> PersonRecords:
    if isinstance(record, Lead):
        merged = [
            pk for merge in LeadMerge.objects.filter(master=record) for pk in merge.merged_ids
        ]
        leads = [record, *Lead.with_deleted.filter(pk__in=merged)]
        contacts = list(Contact.with_deleted.filter(pk__in=[record.converted_contact_id or 0]))
    else:
        contacts = [record]
        leads = list(Lead.with_deleted.filter(converted_contact=record))
    return PersonRecords(leads, contacts)


def _history(kind: str, pk: int) -> list[dict[str, Any]]:
    rows = FieldChange.objects.filter(record_type=kind, record_id=pk).order_by("pk")
    fields = ("field", "old_value", "new_value", "changed_at", "changed_by_id")
    return [dict(zip(fields, row, strict=True)) for row in rows.values_list(*fields)]


def export_personal_data(
    actor: User, record: Person, now: dt.datetime | None = None
) -> dict[str, Any]:
    """Everything held about the person: their records with history, consent, activities
    and the merges that involved them (as JSON values)."""
    require_personal_data_access(actor)
    person = records_of(record)
    kind = record._meta.model_name or ""

    def described(item: models.Model) -> dict[str, Any]:
        item_kind = item._meta.model_name or ""
        return {
            "kind": item_kind,
            "record": record_data(item),
            "consent": {
                name: getattr(item, name) for name in CONSENT_FIELDS if hasattr(item, name)
            },
            "history": _history(item_kind, item.pk),
        }

    lead_ids = [lead.pk for lead in person.leads]
    merges = LeadMerge.objects.filter(master__in=lead_ids).order_by("pk")
    document = {
        "exported_at": (now or timezone.now()).isoformat(),
        "exported_by": actor.pk,
        "subject": {"kind": kind, "id": record.pk},
        "records": [described(item) for item in [*person.leads, *person.contacts]],
        "activities": [described(activity) for activity in person.activities().order_by("pk")],
        "merges": [
            {
                "id": m.pk,
                "master_id": m.master_id,
                "merged_at": m.merged_at,
                "master_before": m.master_before,
                "merged_leads": m.merged_leads,
            }
            for m in merges
        ],
    }
    exported: dict[str, Any] = json.loads(json.dumps(document, cls=DjangoJSONEncoder))
    return exported


def _personal_values(person: PersonRecords) -> set[str]:
    values = set()
    for kind, items in (("lead", person.leads), ("contact", person.contacts)):
        for item in items:
            values |= {str(getattr(item, name)) for name in PERSONAL_FIELDS[kind]}
    return {value for value in values if value.strip() and value != ERASED}


def _blank(item: models.Model, kind: str) -> None:
    for name in PERSONAL_FIELDS[kind]:
        setattr(item, name, ERASED if name in REQUIRED else "")


def _scrub_json(value: Any, fields: set[str]) -> Any:
    if isinstance(value, dict):
        return {
            k: ("" if k in fields and isinstance(v, str) else _scrub_json(v, fields))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_scrub_json(v, fields) for v in value]
    return value


@transaction.atomic
def erase_personal_data(actor: User, record: Person) -> PersonRecords:
    """Anonymize the person everywhere (see the module's description)."""
    require_personal_data_access(actor)
    person = records_of(record)
    values = _personal_values(person)
    activity_ids = list(person.activities().values_list("pk", flat=True))
    lead_ids = [lead.pk for lead in person.leads]
    contact_ids = [c.pk for c in person.contacts]
    # PostgreSQL's table of indexed words would keep the name: dropped below if unused.
    indexed = search_words.words_of(
        connection,
        {
            "lead": lead_ids,
            "contact": contact_ids,
            "account": _ids(person.leads, "converted_account_id"),
            "opportunity": _ids(person.leads, "converted_opportunity_id"),
        },
    )

    for lead in person.leads:
        _blank(lead, "lead")
        lead.save()
    Lead.with_deleted.filter(pk__in=lead_ids).update(**{name: "" for name in MATCH_KEY_FIELDS})
    for contact in person.contacts:
        _blank(contact, "contact")
        contact.save()
    Contact.with_deleted.filter(pk__in=contact_ids).update(phone_key="")
    Activity.with_deleted.filter(pk__in=activity_ids).update(subject=ERASED, body="")

    owned = {"lead": lead_ids, "contact": contact_ids, "activity": activity_ids}
    for kind, ids in owned.items():
        rows = FieldChange.objects.filter(record_type=kind, record_id__in=ids)
        rows.filter(field__in=[*PERSONAL_FIELDS[kind], *_NAMING_ROWS]).update(
            old_value="", new_value=""
        )
    # Values copied elsewhere: the account and deal a conversion filled from the lead.
    for model, attribute in (
        (Account, "converted_account_id"),
        (Opportunity, "converted_opportunity_id"),
    ):
        _blank_copies(model._base_manager.filter(pk__in=_ids(person.leads, attribute)), values)
    converted = Q(record_type="account", record_id__in=_ids(person.leads, "converted_account_id"))
    converted |= Q(
        record_type="opportunity", record_id__in=_ids(person.leads, "converted_opportunity_id")
    )
    FieldChange.objects.filter(converted, old_value__in=values).update(old_value="")
    FieldChange.objects.filter(converted, new_value__in=values).update(new_value="")

    personal = {*PERSONAL_FIELDS["lead"], *PERSONAL_FIELDS["contact"], *MATCH_KEY_FIELDS}
    for merge in LeadMerge.objects.filter(
        Q(master__in=lead_ids) | Q(pk__in=_merges_holding(lead_ids))
    ):
        merge.master_before = _scrub_json(merge.master_before, personal)
        merge.merged_leads = _scrub_json(merge.merged_leads, personal)
        merge.save(update_fields=["master_before", "merged_leads"])
    ImportRowError.objects.filter(value__in=values).update(value="")
    events = Event.objects.filter(
        Q(record_type="lead", record_id__in=lead_ids)
        | Q(record_type="contact", record_id__in=contact_ids)
        | Q(record_type="activity", record_id__in=activity_ids)
    )
    for event in events:
        event.payload = _scrub_json(event.payload, personal | {"subject", "body"})
        event.save(update_fields=["payload"])

    write_history(
        [
            FieldChange(record_type=kind, record_id=pk, field="erased", changed_by=actor)
            for kind, ids in (("lead", lead_ids), ("contact", contact_ids))
            for pk in ids
        ]
    )
    search_words.forget_unused(connection, indexed)
    return person


def _blank_copies(records: models.QuerySet[Any], values: set[str]) -> None:
    """Empty the text fields of ``records`` that hold one of the person's values."""
    for record in records:
        copied = [
            f.name
            for f in record._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField)
            and f.editable
            and getattr(record, f.attname) in values
        ]
        for name in copied:
            setattr(record, name, "")
        if copied:
            record.save(update_fields=copied)


def _ids(leads: list[Lead], attribute: str) -> list[int]:
    return [pk for pk in (getattr(lead, attribute) for lead in leads) if pk is not None]


def _merges_holding(lead_ids: list[int]) -> list[int]:
    """Merges whose snapshot holds one of the leads as a merged-away lead."""
    wanted = set(lead_ids)
    return [
        merge.pk
        for merge in LeadMerge.objects.only("pk", "merged_leads")
        if wanted & set(merge.merged_ids)
    ]
