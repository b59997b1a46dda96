"""Saved views: who sees a view, who may change it, and that its filters are the list's."""

from __future__ import annotations

import pytest
from django.test import Client

from conftest import Company
from opportune.errors import NotAllowed, RuleViolation
from opportune.identity.models import Team
from opportune.savedviews.models import SavedView
from opportune.savedviews.schemas import ViewChanges, ViewCreate
from opportune.savedviews.services import delete_view, save_view
from opportune.web.testing import (
    logged_in,
    plain_static_files,  # noqa: F401
)

pytestmark = pytest.mark.django_db


def _view(company: Company, **fields: object) -> SavedView:
    data = {"kind": "leads", "name": "Hot", "query": "rating=hot", **fields}
    return save_view(company.alice, ViewCreate.model_validate(data))


def _names(user: object) -> set[str]:
    return set(SavedView.objects.visible_to(user).values_list("name", flat=True))  # type: ignore[arg-type]


def test_a_private_view_is_seen_by_its_creator_and_admins_only(company: Company) -> None:
    _view(company)
    assert _names(company.alice) == {"Hot"}
    assert _names(company.ada) == {"Hot"}
    for other in (company.bob, company.maria, company.charlie, company.rita):
        assert _names(other) == set()


def test_a_view_shared_with_a_team_reaches_its_members_and_its_subtree(company: Company) -> None:
    # Alice may share with East only (her team); Ada shares with Sales (the root).
    _view(company, name="East view", team_id=company.east.pk)
    save_view(
        company.ada, ViewCreate(kind="leads", name="Sales view", query="", team_id=company.sales.pk)
    )
    assert _names(company.bob) == {"East view", "Sales view"}
    assert _names(company.maria) == {"East view", "Sales view"}  # East's manager
    assert _names(company.charlie) == {"Sales view"}  # West: below Sales, beside East
    assert _names(company.mark) == {"Sales view"}


def test_only_the_creator_or_an_admin_changes_or_deletes_a_shared_view(company: Company) -> None:
    view = _view(company, team_id=company.east.pk)
    with pytest.raises(NotAllowed):
        save_view(company.bob, ViewChanges(name="Mine now"), view)
    with pytest.raises(NotAllowed):
        delete_view(company.maria, view)
    save_view(company.ada, ViewChanges(name="Tidied"), view)
    assert SavedView.objects.get(pk=view.pk).name == "Tidied"
    delete_view(company.alice, view)
    assert not SavedView.objects.exists()


def test_a_rep_may_not_share_with_a_team_outside_their_own(company: Company) -> None:
    with pytest.raises(NotAllowed) as refused:
        _view(company, team_id=company.west.pk)
    assert "team_id" in refused.value.errors
    leaf = Team.objects.create(name="East-North", parent=company.east)
    # Maria manages East, so she may share with the teams under it.
    save_view(company.maria, ViewCreate(kind="leads", name="North", team_id=leaf.pk))


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("rating=scorching", "rating"),
        ("colour=red", "colour"),
        ("sort=shoe_size", "sort"),
        ("cursor=abc", "cursor"),
        ("columns=custom.nope", "columns"),
    ],
)
def test_a_view_with_an_invalid_filter_is_refused_naming_the_parameter(
    company: Company, query: str, parameter: str
) -> None:
    with pytest.raises(RuleViolation) as refused:
        _view(company, query=query)
    assert refused.value.errors["query"][0].startswith(f"{parameter}: ")
    assert not SavedView.objects.exists()


def test_two_views_of_one_list_cannot_share_a_name(company: Company) -> None:
    _view(company)
    with pytest.raises(RuleViolation) as refused:
        _view(company, query="")
    assert "name" in refused.value.errors
    _view(company, kind="accounts", query="")  # another list: fine


def test_a_view_opens_the_list_with_its_filters_and_page_size(
    company: Company, client: Client
) -> None:
    hot = company.lead(company.alice, last_name="Hotlead", rating="hot")
    company.lead(company.alice, last_name="Coldlead", rating="cold")
    view = _view(company, page_size=25)
    response = logged_in(client, company.alice).get(view.url())
    rows = response.context["page"].rows
    assert [lead.pk for lead in rows] == [hot.pk]
    assert response.context["page_size"] == 25 and response.context["total"] == 1
    assert response.context["current_view"] == view


def test_a_user_s_default_view_opens_the_bare_list_and_any_parameter_skips_it(
    company: Company, client: Client
) -> None:
    view = _view(company)
    client = logged_in(client, company.alice)
    assert client.post(f"/views/{view.pk}/default/").status_code == 302
    response = client.get("/leads/")
    assert response.status_code == 302 and response["Location"] == view.url()
    assert client.get("/leads/?view=").status_code == 200
    client.post(f"/views/{view.pk}/default/")  # again: no longer the default
    assert client.get("/leads/").status_code == 200


def test_saving_a_view_from_the_list_menu_shows_bad_filters_as_form_errors(
    company: Company, client: Client
) -> None:
    client = logged_in(client, company.alice)
    response = client.post(
        "/views/new/",
        {"kind": "leads", "name": "Bad", "query": "rating=scorching", "page_size": "50"},
    )
    assert response.status_code == 422
    assert "rating: Unknown value" in response.content.decode()
    response = client.post(
        "/views/new/", {"kind": "leads", "name": "Good", "query": "rating=hot", "page_size": "100"}
    )
    view = SavedView.objects.get(name="Good")
    assert response.status_code == 302 and response["Location"] == view.url()
    assert view.page_size == 100 and view.owner == company.alice


def test_another_user_s_private_view_is_a_404_on_every_page(
    company: Company, client: Client
) -> None:
    view = _view(company)
    client = logged_in(client, company.bob)
    assert client.get(f"/views/{view.pk}/").status_code == 404
    for action in ("update", "delete", "default"):
        assert client.post(f"/views/{view.pk}/{action}/").status_code == 404


def test_a_team_member_may_pick_but_not_edit_a_shared_view(
    company: Company, client: Client
) -> None:
    view = _view(company, team_id=company.east.pk)
    client = logged_in(client, company.bob)
    page = client.get(view.url()).content.decode()
    assert "Hot" in page and "Update “Hot”" not in page
    assert client.get(f"/views/{view.pk}/").status_code == 403
    assert client.post(f"/views/{view.pk}/delete/").status_code == 403
    assert SavedView.objects.filter(pk=view.pk).exists()
