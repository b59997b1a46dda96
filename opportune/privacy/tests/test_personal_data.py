"""A person's data: the export holds everything about them; erasure leaves none of their
values anywhere in the database (history, activities, merges, duplicate keys, webhook
events, import reports), and records that it happened without naming them."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.apps import apps
from django.db import models
from django.test import Client
from django.utils import timezone

from conftest import ApiClient, Company
from opportune.accounts.models import Contact
from opportune.activities.models import Activity
from opportune.audit.models import FieldChange
from opportune.capture.merge import merge_leads
from opportune.identity.models import User
from opportune.imports.models import ImportJob, ImportRowError
from opportune.leads.conversion import convert_lead
from opportune.leads.models import Lead
from opportune.leads.schemas import ConversionOptions, LeadChanges
from opportune.leads.services import update_lead
from opportune.web.testing import logged_in, plain_static_files  # noqa: F401
from opportune.webhooks.models import Event

# Values no fixture or default holds, so finding one anywhere means it was not erased.
PERSON = {
    "first_name": "Zyxwanda",
    "last_name": "Quorbleck",
    "email": "zyxwvq.quorbleck@mailhost.example",
    "phone": "+1 415 555 0199",
    "street": "17 Vexmoor Lane",
    "title": "Chief Gadgeteer",
}
LATER_EMAIL = "zq.private@elsewhere.example"
NOTE = "Zyxwanda's cellphone is 415 555 0123"


def _person(company: Company) -> tuple[Lead, Contact]:
    """A qualified lead with history, an activity, a merged twin, a webhook event and an
    import report naming her, then converted (a contact, an account, a deal)."""
    lead = company.qualified_lead(company.alice, do_not_call=True, **PERSON)
    update_lead(company.alice, lead, LeadChanges(email=LATER_EMAIL))
    update_lead(company.alice, lead, LeadChanges(email=PERSON["email"]))
    Activity.objects.create(kind="note", subject=NOTE, body=NOTE, owner=company.alice, lead=lead)
    twin = company.lead(company.alice, **{**PERSON, "email": LATER_EMAIL})
    merge_leads(company.alice, lead.pk, [twin.pk])
    Event.objects.create(
        event_type="lead.created",
        record_type="lead",
        record_id=lead.pk,
        payload={"data": {"object": {"email": PERSON["email"], "id": lead.pk}}},
        created_at=timezone.now(),
    )
    job = ImportJob.objects.create(target="leads", created_by=company.alice)
    ImportRowError.objects.create(job=job, line=2, reason="Duplicate", value=PERSON["email"])
    result = convert_lead(company.alice, lead.pk, ConversionOptions())
    assert result.contact is not None
    return Lead.objects.get(pk=lead.pk), result.contact


def _everything() -> str:
    """Every text and JSON value of every row of every table, one row a line."""
    found = []
    for model in apps.get_models():
        names = [
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField)
        ]
        if names:
            rows = model._base_manager.values_list(*names)
            found += [f"{model._meta.label}: {row}" for row in rows]
    return "\n".join(found)


def _rows_holding(values: list[str]) -> list[str]:
    lowered = [value.lower() for value in values]
    return [row for row in _everything().splitlines() if any(v in row.lower() for v in lowered)]


def test_an_erased_lead_leaves_no_personal_value_anywhere(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    lead, contact = _person(company)
    everything = _everything()
    assert all(value in everything for value in [*PERSON.values(), LATER_EMAIL, NOTE])

    response = api(company.ada).post(f"/api/v1/leads/{lead.pk}/erase")
    assert response.status_code == 200, response.content
    assert contact.pk in response.json()["contact_ids"]
    assert response.json()["lead_ids"] == [lead.pk]  # the twin merged into it is gone

    # The email's parts too (search words, keys); long enough not to turn up by chance in
    # a password hash or a session key (three letters such as "zyx" can: a flaky failure).
    parts = ["zyxwvq", "quorbleck", "vexmoor"]
    assert _rows_holding([*PERSON.values(), LATER_EMAIL, NOTE, *parts]) == []
    lead.refresh_from_db()
    assert (lead.last_name, lead.email, lead.email_key, lead.phone_key, lead.name_key) == (
        "[erased]", "", "", "", "",
    )  # fmt: skip
    assert lead.do_not_call  # consent is kept: it must still be honoured


def test_an_erasure_is_recorded_in_the_history_without_the_values(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    lead, contact = _person(company)
    assert api(company.ada).post(f"/api/v1/contacts/{contact.pk}/erase").status_code == 200
    for kind, pk in (("lead", lead.pk), ("contact", contact.pk)):
        erased = FieldChange.objects.get(record_type=kind, record_id=pk, field="erased")
        assert (erased.old_value, erased.new_value, erased.changed_by) == ("", "", company.ada)
    assert PERSON["email"] not in _everything()


def test_the_export_holds_the_records_history_consent_and_activities(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    lead, _contact = _person(company)
    response = api(company.ada).get(f"/api/v1/leads/{lead.pk}/personal-data")
    assert response.status_code == 200
    document = response.json()
    lead_part = next(r for r in document["records"] if r["record"]["id"] == lead.pk)
    assert lead_part["record"]["email"] == PERSON["email"]
    assert lead_part["consent"] == {"do_not_call": True, "email_opt_out": False}
    emails = {
        (h["old_value"], h["new_value"]) for h in lead_part["history"] if h["field"] == "email"
    }
    assert (PERSON["email"], LATER_EMAIL) in emails
    assert {r["kind"] for r in document["records"]} == {"lead", "contact"}
    assert [a["record"]["subject"] for a in document["activities"]] == [NOTE]
    assert document["merges"][0]["merged_leads"][0]["email"] == LATER_EMAIL


@pytest.mark.parametrize("role", ["maria", "alice", "mark", "rita"])
def test_only_admins_export_or_erase(
    company: Company, api: Callable[[User], ApiClient], role: str
) -> None:
    lead = company.lead(company.alice, **PERSON)
    client = api(getattr(company, role))
    assert client.get(f"/api/v1/leads/{lead.pk}/personal-data").status_code in (403, 404)
    assert client.post(f"/api/v1/leads/{lead.pk}/erase").status_code in (403, 404)
    lead.refresh_from_db()
    assert lead.email == PERSON["email"]


@pytest.mark.usefixtures("plain_static_files")
def test_an_admin_erases_from_the_lead_page(company: Company) -> None:
    lead = company.lead(company.alice, **PERSON)
    browser = logged_in(Client(), company.ada)
    page = browser.get(f"/leads/{lead.pk}/")
    assert f"/leads/{lead.pk}/erase/".encode() in page.content
    assert (
        browser.get(f"/leads/{lead.pk}/personal-data/").json()["records"][0]["record"]["email"]
        == PERSON["email"]
    )
    assert browser.get(f"/leads/{lead.pk}/erase/").status_code == 200
    response = browser.post(f"/leads/{lead.pk}/erase/")
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.email == ""
    rep = logged_in(Client(), company.alice)
    assert f"/leads/{lead.pk}/erase/".encode() not in rep.get(f"/leads/{lead.pk}/").content
    assert rep.post(f"/leads/{lead.pk}/erase/").status_code == 403
