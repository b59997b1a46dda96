"""Merging 2-5 leads: the master keeps its id, fields take the chosen values, activities and
history move, and the merge can be undone exactly (PRODUCT.md section 6)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from pytest_django import Settings

from conftest import ApiClient, Company
from opportune.activities.models import Activity
from opportune.audit.models import FieldChange
from opportune.capture.merge import merge_leads, undo_merge
from opportune.errors import Conflict, RuleViolation
from opportune.identity.models import User
from opportune.imports.models import ExternalId
from opportune.imports.tests.helpers import run_import
from opportune.leads.models import Lead
from opportune.leads.schemas import LeadChanges
from opportune.leads.services import update_lead


def _note(lead: Lead, subject: str) -> Activity:
    return Activity.objects.create(kind="note", subject=subject, lead=lead, owner=lead.owner)


def test_the_master_keeps_its_values_and_takes_the_first_non_empty_ones(company: Company) -> None:
    master = company.lead(company.alice, phone="", title="")
    other = company.lead(company.alice, phone="+14155550123", title="CTO", company="Other Co")
    merge_leads(company.alice, master.pk, [other.pk])
    master.refresh_from_db()
    assert (master.company, master.phone, master.title) == (
        "Globex Corporation",
        "+14155550123",
        "CTO",
    )
    assert not Lead.objects.filter(pk=other.pk).exists()


def test_a_field_takes_the_value_of_the_lead_chosen_for_it(company: Company) -> None:
    master = company.lead(company.alice, company="Globex")
    other = company.lead(company.alice, company="Globex Corporation International")
    merge_leads(company.alice, master.pk, [other.pk], {"company": other.pk})
    master.refresh_from_db()
    assert master.company == "Globex Corporation International"


def test_activities_and_history_move_to_the_master(company: Company) -> None:
    master = company.lead(company.alice)
    other = company.lead(company.alice, last_name="Other")
    note = _note(other, "Called")
    update_lead(company.alice, other, LeadChanges(title="VP"))
    merge_leads(company.alice, master.pk, [other.pk])
    note.refresh_from_db()
    assert note.lead_id == master.pk
    assert FieldChange.objects.filter(record_id=master.pk, field="title", new_value="VP").exists()


def test_a_merged_leads_external_id_then_names_the_master_until_the_merge_is_undone(
    company: Company, settings: Settings, tmp_path: Path
) -> None:
    settings.DATA_DIR = tmp_path  # where the import's upload is stored
    master = company.lead(company.alice)
    other = company.lead(company.alice, last_name="Other")
    ExternalId.objects.create(target="leads", external_id="00Q9", record_id=other.pk)
    merge = merge_leads(company.alice, master.pk, [other.pk])
    assert ExternalId.objects.get(external_id="00Q9").record_id == master.pk
    # A later import of the same export updates the master instead of creating the lead again.
    content = "Id,Last Name,Company\n00Q9,Renamed,Acme\n"
    job = run_import(company.alice, content, match_key="external_id")
    assert (job.created, job.updated) == (0, 1)
    master.refresh_from_db()
    assert master.last_name == "Renamed"
    undo_merge(company.alice, merge.pk)
    assert ExternalId.objects.get(external_id="00Q9").record_id == other.pk


def test_undo_brings_every_lead_back_as_it_was(company: Company) -> None:
    master = company.lead(company.alice, title="")
    others = [company.lead(company.alice, last_name=f"Other{n}", title=f"T{n}") for n in range(3)]
    notes = [_note(o, f"note {o.pk}") for o in others]
    created = {o.pk: o.created_at for o in others}
    merge = merge_leads(company.alice, master.pk, [o.pk for o in others])
    master.refresh_from_db()
    assert master.title == "T0"

    undo_merge(company.alice, merge.pk)
    master.refresh_from_db()
    assert master.title == ""
    for other, note in zip(others, notes, strict=True):
        back = Lead.objects.get(pk=other.pk)
        assert (back.last_name, back.title, back.created_at) == (
            other.last_name,
            other.title,
            created[other.pk],
        )
        assert back.email_key == "lena@globex.example"
        note.refresh_from_db()
        assert note.lead_id == other.pk
    with pytest.raises(Conflict):
        undo_merge(company.alice, merge.pk)


def test_it_merges_two_to_five_leads_only(company: Company) -> None:
    leads = [company.lead(company.alice, last_name=f"L{n}") for n in range(6)]
    with pytest.raises(RuleViolation):
        merge_leads(company.alice, leads[0].pk, [leads[0].pk])
    with pytest.raises(RuleViolation):
        merge_leads(company.alice, leads[0].pk, [lead.pk for lead in leads[1:]])


def test_converted_leads_are_not_merged(company: Company) -> None:
    master = company.lead(company.alice)
    converted = company.lead(company.alice, is_converted=True)
    with pytest.raises(Conflict):
        merge_leads(company.alice, master.pk, [converted.pk])


def test_the_api_merges_and_undoes_and_answers_404_outside_the_view(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    master = company.lead(company.alice)
    other = company.lead(company.alice, last_name="Other")
    hidden = company.lead(company.charlie)
    client = api(company.alice)
    assert (
        client.post(
            "/api/v1/leads/merge", {"master_id": master.pk, "lead_ids": [hidden.pk]}
        ).status_code
        == 404
    )
    assert Lead.objects.filter(pk=hidden.pk).exists()

    response = client.post("/api/v1/leads/merge", {"master_id": master.pk, "lead_ids": [other.pk]})
    assert response.status_code == 201
    merge_id = response.json()["id"]
    assert response.json()["merged_ids"] == [other.pk]
    assert api(company.charlie).post(f"/api/v1/merges/{merge_id}/undo").status_code == 404
    undone = client.post(f"/api/v1/merges/{merge_id}/undo")
    assert undone.status_code == 200
    assert undone.json()["undone_at"] is not None
    assert client.post(f"/api/v1/merges/{merge_id}/undo").status_code == 409


def test_read_only_users_cannot_merge(company: Company, api: Callable[[User], ApiClient]) -> None:
    master = company.lead(company.alice)
    other = company.lead(company.bob)
    response = api(company.rita).post(
        "/api/v1/leads/merge", {"master_id": master.pk, "lead_ids": [other.pk]}
    )
    assert response.status_code == 403
