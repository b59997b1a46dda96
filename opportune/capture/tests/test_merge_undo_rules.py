"""Undoing a merge never loses a later edit without a word, and only someone who may change
every lead involved undoes it; the merge page shows no lead outside the user's view."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from pytest_django import Settings

from conftest import ApiClient, Company
from opportune.capture.merge import merge_leads, undo_merge
from opportune.capture.models import LeadMerge
from opportune.errors import Conflict, NotAllowed
from opportune.identity.models import User
from opportune.leads.models import Lead
from opportune.leads.schemas import LeadChanges
from opportune.leads.services import update_lead


def test_undo_refuses_to_drop_an_edit_made_to_the_master_since_the_merge(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    master = company.lead(company.alice, title="")
    other = company.lead(company.alice, last_name="Other", title="CTO")
    merge = merge_leads(company.alice, master.pk, [other.pk])
    update_lead(company.alice, Lead.objects.get(pk=master.pk), LeadChanges(title="CEO"))

    with pytest.raises(Conflict) as caught:
        undo_merge(company.alice, merge.pk)
    assert "title" in caught.value.errors
    response = api(company.alice).post(f"/api/v1/merges/{merge.pk}/undo")
    assert response.status_code == 409
    assert "title" in response.json()["errors"]
    assert Lead.objects.get(pk=master.pk).title == "CEO"
    assert not Lead.objects.filter(pk=other.pk).exists()


def test_undo_keeps_an_edit_to_a_field_the_merge_did_not_set(company: Company) -> None:
    master = company.lead(company.alice, title="")
    other = company.lead(company.alice, last_name="Other", title="CTO")
    merge = merge_leads(company.alice, master.pk, [other.pk])
    update_lead(company.alice, Lead.objects.get(pk=master.pk), LeadChanges(city="Berlin"))
    undo_merge(company.alice, merge.pk)
    restored = Lead.objects.get(pk=master.pk)
    assert (restored.title, restored.city) == ("", "Berlin")
    assert Lead.objects.filter(pk=other.pk).exists()


def _cross_team_merge(company: Company) -> tuple[LeadMerge, Lead]:
    """Maria merges Alice's lead into Bob's: Bob sees the master, not Alice's lead."""
    bobs = company.lead(company.bob, last_name="Master")
    alices = company.lead(company.alice, first_name="Secret", last_name="Alicelead")
    return merge_leads(company.maria, bobs.pk, [alices.pk]), alices


def test_undo_is_refused_to_a_user_who_may_not_change_every_merged_lead(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    merge, alices = _cross_team_merge(company)
    with pytest.raises(NotAllowed):
        undo_merge(company.bob, merge.pk)
    assert api(company.bob).post(f"/api/v1/merges/{merge.pk}/undo").status_code == 403
    assert not Lead.objects.filter(pk=alices.pk).exists()
    assert api(company.charlie).post(f"/api/v1/merges/{merge.pk}/undo").status_code == 404


@pytest.mark.parametrize("who", ["maria", "ada"])
def test_whoever_merged_or_an_admin_may_undo(company: Company, who: str) -> None:
    merge, alices = _cross_team_merge(company)
    undo_merge(getattr(company, who), merge.pk)
    assert Lead.objects.get(pk=alices.pk).owner == company.alice


def test_the_merge_page_shows_no_lead_outside_the_users_view(
    company: Company, settings: Settings
) -> None:
    merge, _ = _cross_team_merge(company)
    client = Client()
    client.force_login(company.bob)
    page = client.get(f"/capture/merges/{merge.pk}/")
    assert page.status_code == 200
    assert "Alicelead" not in page.content.decode()
    assert "Secret" not in page.content.decode()
    client.force_login(company.maria)
    assert "Alicelead" in client.get(f"/capture/merges/{merge.pk}/").content.decode()
    client.force_login(company.charlie)
    assert client.get(f"/capture/merges/{merge.pk}/").status_code == 404
