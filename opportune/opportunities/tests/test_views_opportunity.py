"""The opportunity page, its edit form, closing won or lost, and the opportunity list."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from conftest import Company
from opportune.opportunities.models import ContactRole, Opportunity
from opportune.web.testing import (
    HTMX,
    logged_in,
    plain_static_files,  # noqa: F401
)

pytestmark = pytest.mark.django_db


def test_the_page_shows_details_path_history_roles_and_timeline(
    company: Company, client: Client
) -> None:
    opportunity = company.opportunity(company.alice, amount=Decimal("8000"))
    contact = company.contact(company.alice, opportunity.account, first_name="Dora")
    ContactRole.objects.create(
        opportunity=opportunity, contact=contact, role="evaluator", is_primary=True
    )
    client = logged_in(client, company.alice)
    client.post(f"/opportunities/{opportunity.pk}/move/", {"stage": "proposal", "from": "detail"})
    response = client.get(f"/opportunities/{opportunity.pk}/")
    page = response.content.decode()
    path = response.context["path"]
    assert [step["stage"].key for step in path if step["complete"]] == [
        "prospecting",
        "qualification",
        "needs_analysis",
        "value_proposition",
        "id_decision_makers",
        "perception_analysis",
    ]
    assert next(step for step in path if step["current"])["stage"].key == "proposal"
    assert len(response.context["history"]) == 2
    assert response.context["history"][0]["row"].stage.key == "proposal"  # newest first
    assert 'id="stage-history"' in page and "Dora Contact" in page and "Evaluator" in page
    assert "Log a call" in page and "$8,000" in page


def test_a_path_step_moves_the_stage_and_returns_to_the_page(
    company: Company, client: Client
) -> None:
    opportunity = company.opportunity(company.alice)
    response = logged_in(client, company.alice).post(
        f"/opportunities/{opportunity.pk}/move/", {"stage": "value_proposition", "from": "detail"}
    )
    assert response["Location"] == f"/opportunities/{opportunity.pk}/"
    assert Opportunity.objects.get(pk=opportunity.pk).probability == 50


@pytest.mark.parametrize("path", ["", "edit/", "close/", "move/"])
def test_another_reps_opportunity_is_a_404_for_every_verb(
    company: Company, client: Client, path: str
) -> None:
    opportunity = company.opportunity(company.alice)
    client = logged_in(client, company.bob)
    assert client.get(f"/opportunities/{opportunity.pk}/{path}").status_code in (404, 405)
    assert (
        client.post(f"/opportunities/{opportunity.pk}/{path}", {"stage": "proposal"}).status_code
        == 404
    )


def test_opportunities_do_not_exist_for_marketing(company: Company, client: Client) -> None:
    opportunity = company.opportunity(company.alice)
    client = logged_in(client, company.mark)
    assert client.get(f"/opportunities/{opportunity.pk}/").status_code == 404
    assert client.get("/opportunities/").status_code == 404


def test_closing_lost_asks_for_a_reason_at_the_field(company: Company, client: Client) -> None:
    opportunity = company.opportunity(company.alice)
    client = logged_in(client, company.alice)
    dialog = client.get(f"/opportunities/{opportunity.pk}/close/?outcome=lost", **HTMX)
    assert 'id="dialog-title"' in dialog.content.decode()
    refused = client.post(f"/opportunities/{opportunity.pk}/close/", {"outcome": "lost"}, **HTMX)
    assert refused.status_code == 422
    assert refused.context["form"].errors == {
        "lost_reason": ["Closing an opportunity as lost requires a lost reason."]
    }
    done = client.post(
        f"/opportunities/{opportunity.pk}/close/",
        {"outcome": "lost", "lost_reason": "price"},
        **HTMX,
    )
    assert done["HX-Redirect"] == f"/opportunities/{opportunity.pk}/"
    opportunity.refresh_from_db()
    assert (
        opportunity.is_closed
        and not opportunity.is_won
        and opportunity.lost_reason is not None
        and opportunity.lost_reason.key == "price"
    )
    page = client.get(f"/opportunities/{opportunity.pk}/").content.decode()
    assert "Lost: Price" in page and "Close won" not in page


def test_closing_won(company: Company, client: Client) -> None:
    opportunity = company.opportunity(company.alice)
    logged_in(client, company.alice).post(
        f"/opportunities/{opportunity.pk}/close/", {"outcome": "won"}
    )
    opportunity.refresh_from_db()
    assert opportunity.is_won and opportunity.stage.key == "closed_won"


def test_the_edit_form_changes_fields_through_the_service(company: Company, client: Client) -> None:
    opportunity = company.opportunity(company.alice, amount=Decimal("1000"))
    response = logged_in(client, company.alice).post(
        f"/opportunities/{opportunity.pk}/edit/",
        {
            "name": "Bigger deal",
            "amount": "2500",
            "close_date": "2027-01-31",
            "probability": "10",
            "forecast_category": "pipeline",
            "owner": str(company.alice.pk),
            "next_step": "Send the quote",
        },
    )
    assert response.status_code == 302
    opportunity.refresh_from_db()
    assert (opportunity.name, opportunity.amount, opportunity.next_step) == (
        "Bigger deal",
        Decimal("2500"),
        "Send the quote",
    )
    assert opportunity.history.count() == 2  # amount and close date changed


def test_the_edit_form_shows_schema_errors_at_their_fields(
    company: Company, client: Client
) -> None:
    opportunity = company.opportunity(company.alice)
    response = logged_in(client, company.alice).post(
        f"/opportunities/{opportunity.pk}/edit/",
        {"name": "", "amount": "-3", "probability": "140", "close_date": "2027-01-31"},
    )
    assert response.status_code == 422
    assert set(response.context["form"].errors) == {"name", "amount", "probability"}
    assert response.context["form"].errors["name"] == ["This field is required."]


def test_an_overridden_probability_is_kept_and_an_untouched_one_follows_the_stage(
    company: Company, client: Client
) -> None:
    opportunity = company.opportunity(company.alice)
    client = logged_in(client, company.alice)
    base = {"name": "Globex renewal", "close_date": "2026-12-31", "owner": str(company.alice.pk)}
    client.post(
        f"/opportunities/{opportunity.pk}/edit/",
        {**base, "probability": "10", "forecast_category": "pipeline"},
    )
    opportunity.refresh_from_db()
    assert opportunity.history.count() == 1  # nothing changed, nothing recorded
    client.post(
        f"/opportunities/{opportunity.pk}/edit/",
        {**base, "probability": "35", "forecast_category": "pipeline"},
    )
    assert Opportunity.objects.get(pk=opportunity.pk).probability == 35


def test_a_closed_opportunity_has_no_probability_to_edit(company: Company, client: Client) -> None:
    opportunity = company.opportunity(company.alice)
    client = logged_in(client, company.alice)
    client.post(f"/opportunities/{opportunity.pk}/close/", {"outcome": "won"})
    form = client.get(f"/opportunities/{opportunity.pk}/edit/").context["form"]
    assert "probability" not in form.fields and "forecast_category" not in form.fields


def test_the_list_filters_by_state_and_search(company: Company, client: Client) -> None:
    company.opportunity(company.alice, name="Open deal")
    won = company.opportunity(company.alice, name="Won deal")
    client = logged_in(client, company.alice)
    client.post(f"/opportunities/{won.pk}/close/", {"outcome": "won"}, follow=True)

    def names(**params: str) -> list[str]:
        return [o.name for o in client.get("/opportunities/", params).context["page"].rows]

    assert names() == ["Open deal"]
    assert names(state="won") == ["Won deal"]
    assert names(state="all", q="open") == ["Open deal"]


@pytest.mark.parametrize("rows", [5, 50])
def test_the_list_costs_the_same_queries_for_5_or_50(
    company: Company,
    client: Client,
    rows: int,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    account = company.account(company.alice)
    for number in range(rows):
        company.opportunity(company.alice, account=account, name=f"D{number}")
    client = logged_in(client, company.maria)
    client.get("/opportunities/")
    # 11: one reads the custom fields the "Columns" chooser offers (none per row); the
    # capped total is one COUNT; the saved views (menu and default-view look-up) read the
    # teams and the views; the owners are read once for filter and bulk bars; the stages.
    with django_assert_max_num_queries(11):
        response = client.get("/opportunities/")
    assert len(response.context["page"].rows) == rows


@pytest.mark.parametrize("activities", [1, 20])
def test_the_page_costs_the_same_queries_however_long_its_history(
    company: Company,
    client: Client,
    activities: int,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    opportunity = company.opportunity(company.alice)
    client = logged_in(client, company.alice)
    for number in range(activities):
        client.post(
            f"/activities/opportunity/{opportunity.pk}/log/",
            {"activity_kind": "call", "call-kind": "call", "call-subject": f"Call {number}"},
            **HTMX,
        )
        client.post(
            f"/opportunities/{opportunity.pk}/edit/",
            {
                "name": "Globex renewal",
                "close_date": "2026-12-31",
                "amount": str(1000 + number),
                "owner": str(company.alice.pk),
            },
        )
    with django_assert_max_num_queries(16):
        client.get(f"/opportunities/{opportunity.pk}/")
