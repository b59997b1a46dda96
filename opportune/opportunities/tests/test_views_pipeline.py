"""The pipeline kanban: grouped column totals, lazy columns, moves through the stage rules."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest
from django.test import Client
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from conftest import Company
from opportune.opportunities.models import Opportunity, OpportunityHistory, Pipeline
from opportune.opportunities.views import Column
from opportune.web.testing import (
    HTMX,
    logged_in,
    plain_static_files,  # noqa: F401
)

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

pytestmark = pytest.mark.django_db


def _column(response: Response, key: str) -> Column:
    columns: list[Column] = response.context["columns"]
    return next(c for c in columns if c.stage.key == key)


def test_the_board_has_one_column_per_open_stage_and_won_lost_zones(
    company: Company, client: Client
) -> None:
    response = logged_in(client, company.alice).get("/pipeline/")
    keys = [c.stage.key for c in response.context["columns"]]
    assert keys[0] == "prospecting" and keys[-1] == "negotiation" and len(keys) == 8
    page = response.content.decode()
    assert 'data-drop-stage="closed_won"' in page and 'data-drop-stage="closed_lost"' in page
    assert 'hx-get="/pipeline/sales/column/prospecting/"' in page  # cards load lazily


def test_column_headers_show_count_total_and_weighted_amount(
    company: Company, client: Client
) -> None:
    company.opportunity(company.alice, amount=Decimal("1000"))
    company.opportunity(company.alice, amount=Decimal("3000"))
    company.opportunity(company.alice, amount=Decimal("500"), stage_key="proposal")
    company.opportunity(company.bob, amount=Decimal("9999"))
    response = logged_in(client, company.alice).get("/pipeline/")
    prospecting = _column(response, "prospecting")
    assert (prospecting.count, prospecting.total, prospecting.weighted) == (
        2,
        Decimal("4000"),
        Decimal("400"),
    )
    proposal = _column(response, "proposal")
    assert (proposal.count, proposal.total, proposal.weighted) == (
        1,
        Decimal("500"),
        Decimal("375"),
    )
    assert response.context["board_total"] == 4500


def test_the_board_filters_by_owner_and_close_date_period(company: Company, client: Client) -> None:
    today = timezone.localdate()
    company.opportunity(company.alice, amount=Decimal("100"), close_date=today)
    company.opportunity(
        company.bob, amount=Decimal("200"), close_date=today + dt.timedelta(days=400)
    )
    client = logged_in(client, company.maria)
    assert _column(client.get("/pipeline/"), "prospecting").total == 300
    assert (
        _column(client.get("/pipeline/", {"owner": str(company.bob.pk)}), "prospecting").total
        == 200
    )
    assert _column(client.get("/pipeline/", {"owner": "me"}), "prospecting").count == 0
    assert _column(client.get("/pipeline/", {"period": "this_month"}), "prospecting").total == 100
    cards = client.get("/pipeline/sales/column/prospecting/", {"period": "this_quarter"})
    assert [c.amount for c in cards.context["cards"]] == [Decimal("100")]


def test_marketing_has_no_pipeline(company: Company, client: Client) -> None:
    client = logged_in(client, company.mark)
    assert client.get("/pipeline/").status_code == 404
    assert "Pipeline" not in client.get("/leads/").content.decode()


def test_an_unknown_pipeline_is_a_404(company: Company, client: Client) -> None:
    assert logged_in(client, company.alice).get("/pipeline/nope/").status_code == 404


def test_a_column_loads_its_cards_newest_first_with_load_more(
    company: Company, client: Client
) -> None:
    from opportune.opportunities import views

    views.CARDS_PER_LOAD, saved = 2, views.CARDS_PER_LOAD
    try:
        made = [company.opportunity(company.alice, name=f"Deal {n}") for n in range(3)]
        client = logged_in(client, company.alice)
        first = client.get("/pipeline/sales/column/prospecting/", **HTMX)
        assert [c.name for c in first.context["cards"]] == ["Deal 2", "Deal 1"]
        body = first.content.decode()
        assert "<html" not in body and "Load more" in body and f"before={made[1].pk}" in body
        rest = client.get(f"/pipeline/sales/column/prospecting/?before={made[1].pk}", **HTMX)
        assert [c.name for c in rest.context["cards"]] == ["Deal 0"]
        assert "Load more" not in rest.content.decode()
    finally:
        views.CARDS_PER_LOAD = saved


def test_a_card_shows_account_amount_close_date_owner_and_days_in_stage(
    company: Company, client: Client
) -> None:
    opportunity = company.opportunity(company.alice, amount=Decimal("12345"))
    Opportunity.objects.filter(pk=opportunity.pk).update(
        stage_changed_at=timezone.now() - dt.timedelta(days=12)
    )
    body = logged_in(client, company.alice).get("/pipeline/sales/column/prospecting/", **HTMX)
    text = body.content.decode()
    for expected in (
        "Globex renewal",
        "Initech",
        "$12,345",
        "31 Dec 2026",
        "Alice",
        "12d in stage",
    ):
        assert expected in text, expected


@pytest.mark.parametrize("rows", [5, 50])
def test_the_board_costs_the_same_queries_for_5_or_50_deals(
    company: Company,
    client: Client,
    rows: int,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    account = company.account(company.alice)
    pipeline = Pipeline.default()
    stages = list(pipeline.stages.filter(is_closed=False))
    for number in range(rows):
        company.opportunity(
            company.alice, account=account, stage_key=stages[number % len(stages)].key
        )
    client = logged_in(client, company.maria)
    client.get("/pipeline/")
    with django_assert_max_num_queries(8):
        response = client.get("/pipeline/")
    assert response.context["board_count"] == rows
    with django_assert_max_num_queries(8):
        column = client.get("/pipeline/sales/column/prospecting/", **HTMX)
    assert len(column.context["cards"]) == len(range(0, rows, len(stages)))


def test_dropping_a_card_moves_it_and_answers_the_new_card_and_headers(
    company: Company, client: Client
) -> None:
    opportunity = company.opportunity(company.alice, amount=Decimal("1000"))
    response = logged_in(client, company.alice).post(
        f"/opportunities/{opportunity.pk}/move/", {"stage": "negotiation"}, **HTMX
    )
    assert response.status_code == 200
    body = response.content.decode()
    negotiation = Pipeline.default().stages.get(key="negotiation")
    assert f'<div id="deal-{opportunity.pk}" hx-swap-oob="delete">' in body
    assert f'hx-swap-oob="afterbegin:#cards-{negotiation.pk}"' in body
    assert f'id="head-{negotiation.pk}" hx-swap-oob="true"' in body
    assert _column(response, "negotiation").total == 1000
    assert _column(response, "prospecting").total == 0
    opportunity.refresh_from_db()
    assert (opportunity.stage.key, opportunity.probability, opportunity.forecast_category) == (
        "negotiation",
        90,
        "commit",
    )
    assert OpportunityHistory.objects.filter(opportunity=opportunity).count() == 2
    assert "close-dialog" in response["HX-Trigger"]


def test_the_move_keeps_the_board_filters_for_the_headers(company: Company, client: Client) -> None:
    mine = company.opportunity(company.alice, amount=Decimal("1000"))
    company.opportunity(company.bob, amount=Decimal("5000"))
    response = logged_in(client, company.maria).post(
        f"/opportunities/{mine.pk}/move/?owner={company.alice.pk}", {"stage": "proposal"}, **HTMX
    )
    assert _column(response, "prospecting").total == 0
    assert _column(response, "proposal").total == 1000


def test_a_drop_on_lost_asks_for_the_reason(company: Company, client: Client) -> None:
    opportunity = company.opportunity(company.alice)
    client = logged_in(client, company.alice)
    asked = client.post(f"/opportunities/{opportunity.pk}/move/", {"stage": "closed_lost"}, **HTMX)
    assert asked.status_code == 200
    assert asked["HX-Retarget"] == "#dialog-content"
    body = asked.content.decode()
    assert "Why was Globex renewal lost?" in body and 'name="lost_reason"' in body
    assert Opportunity.objects.get(pk=opportunity.pk).is_closed is False
    done = client.post(
        f"/opportunities/{opportunity.pk}/move/",
        {"stage": "closed_lost", "lost_reason": "competitor"},
        **HTMX,
    )
    assert done.status_code == 200 and "HX-Retarget" not in done
    assert f'id="deal-{opportunity.pk}" hx-swap-oob="delete"' in done.content.decode()
    assert "afterbegin" not in done.content.decode()
    opportunity.refresh_from_db()
    assert opportunity.is_closed and not opportunity.is_won
    assert opportunity.lost_reason is not None and opportunity.lost_reason.key == "competitor"


def test_a_drop_on_won_asks_to_confirm_with_amount_and_close_date(
    company: Company, client: Client
) -> None:
    opportunity = company.opportunity(company.alice, amount=Decimal("4000"))
    client = logged_in(client, company.alice)
    asked = client.post(f"/opportunities/{opportunity.pk}/move/", {"stage": "closed_won"}, **HTMX)
    assert asked.status_code == 200 and asked["HX-Retarget"] == "#dialog-content"
    body = asked.content.decode()
    assert "Close Globex renewal as won?" in body
    assert 'name="amount"' in body and 'value="4000.00"' in body and 'name="close_date"' in body
    assert 'name="confirm" value="won"' in body
    assert Opportunity.objects.get(pk=opportunity.pk).is_closed is False

    done = client.post(
        f"/opportunities/{opportunity.pk}/move/",
        {"stage": "closed_won", "confirm": "won", "amount": "4500", "close_date": "2026-11-30"},
        **HTMX,
    )
    assert done.status_code == 200 and "HX-Retarget" not in done
    opportunity.refresh_from_db()
    assert opportunity.is_won and opportunity.probability == 100 and opportunity.closed_at
    assert (opportunity.amount, opportunity.close_date) == (Decimal("4500"), dt.date(2026, 11, 30))


def test_a_won_confirmation_with_a_bad_amount_keeps_the_dialog_open(
    company: Company, client: Client
) -> None:
    opportunity = company.opportunity(company.alice)
    response = logged_in(client, company.alice).post(
        f"/opportunities/{opportunity.pk}/move/",
        {"stage": "closed_won", "confirm": "won", "amount": "-5", "close_date": "2026-11-30"},
        **HTMX,
    )
    assert response["HX-Retarget"] == "#dialog-content"
    assert "Close Globex renewal as won?" in response.content.decode()
    assert Opportunity.objects.get(pk=opportunity.pk).is_closed is False


def _moved_event(response: Response) -> dict[str, object]:
    event: dict[str, object] = json.loads(response["HX-Trigger-After-Settle"])["deal-moved"]
    return event


def test_a_move_answers_the_card_to_focus_and_the_change_to_undo(
    company: Company, client: Client
) -> None:
    opportunity = company.opportunity(company.alice)
    response = logged_in(client, company.alice).post(
        f"/opportunities/{opportunity.pk}/move/?owner=me", {"stage": "proposal"}, **HTMX
    )
    event = _moved_event(response)
    latest = OpportunityHistory.objects.filter(opportunity=opportunity).latest("changed_at", "pk")
    assert event == {
        "card": f"deal-{opportunity.pk}",
        "message": "Globex renewal moved to Proposal / price quote.",
        "undo_url": f"/opportunities/{opportunity.pk}/undo/?owner=me",
        "history": latest.pk,
    }


def test_undo_puts_the_card_back_in_its_column(company: Company, client: Client) -> None:
    opportunity = company.opportunity(company.alice)
    client = logged_in(client, company.alice)
    moved = client.post(f"/opportunities/{opportunity.pk}/move/", {"stage": "proposal"}, **HTMX)
    history = _moved_event(moved)["history"]
    undone = client.post(f"/opportunities/{opportunity.pk}/undo/", {"history": history}, **HTMX)
    assert undone.status_code == 200
    prospecting = Pipeline.default().stages.get(key="prospecting")
    assert f'hx-swap-oob="afterbegin:#cards-{prospecting.pk}"' in undone.content.decode()
    event = _moved_event(undone)
    assert event["message"] == "Undone: Globex renewal is back in Prospecting."
    assert "undo_url" not in event
    assert Opportunity.objects.get(pk=opportunity.pk).stage_id == prospecting.pk
    assert OpportunityHistory.objects.filter(opportunity=opportunity).count() == 3


def test_undo_reopens_a_deal_just_closed_won(company: Company, client: Client) -> None:
    opportunity = company.opportunity(company.alice)
    client = logged_in(client, company.alice)
    won = client.post(
        f"/opportunities/{opportunity.pk}/move/",
        {"stage": "closed_won", "confirm": "won", "amount": "10000", "close_date": "2026-11-30"},
        **HTMX,
    )
    client.post(
        f"/opportunities/{opportunity.pk}/undo/", {"history": _moved_event(won)["history"]}, **HTMX
    )
    opportunity.refresh_from_db()
    assert not opportunity.is_closed and opportunity.stage.key == "prospecting"


def test_undo_by_another_user_or_of_an_unknown_change_only_toasts_why(
    company: Company, client: Client
) -> None:
    opportunity = company.opportunity(company.alice)
    moved = logged_in(client, company.alice).post(
        f"/opportunities/{opportunity.pk}/move/", {"stage": "proposal"}, **HTMX
    )
    history = _moved_event(moved)["history"]
    refused = logged_in(client, company.maria).post(
        f"/opportunities/{opportunity.pk}/undo/", {"history": history}, **HTMX
    )
    assert refused.status_code == 200 and refused["HX-Reswap"] == "none"
    assert "Only the person who moved the deal" in refused["HX-Trigger"]
    unknown = logged_in(client, company.alice).post(
        f"/opportunities/{opportunity.pk}/undo/", {"history": "x"}, **HTMX
    )
    assert "no such move" in unknown["HX-Trigger"]
    assert Opportunity.objects.get(pk=opportunity.pk).stage.key == "proposal"


def test_undo_of_another_reps_deal_is_a_404(company: Company, client: Client) -> None:
    opportunity = company.opportunity(company.alice)
    response = logged_in(client, company.bob).post(
        f"/opportunities/{opportunity.pk}/undo/", {"history": "1"}, **HTMX
    )
    assert response.status_code == 404


def test_without_javascript_undo_returns_to_the_board_with_a_message(
    company: Company, client: Client
) -> None:
    opportunity = company.opportunity(company.alice)
    client = logged_in(client, company.alice)
    client.post(f"/opportunities/{opportunity.pk}/move/", {"stage": "proposal"})
    latest = OpportunityHistory.objects.filter(opportunity=opportunity).latest("changed_at", "pk")
    response = client.post(f"/opportunities/{opportunity.pk}/undo/", {"history": latest.pk})
    assert response.status_code == 302 and response["Location"] == "/pipeline/sales/"
    assert Opportunity.objects.get(pk=opportunity.pk).stage.key == "prospecting"


def test_cards_offer_move_to_won_and_lost_and_the_page_a_keyboard_hint(
    company: Company, client: Client
) -> None:
    company.opportunity(company.alice)
    client = logged_in(client, company.alice)
    page = client.get("/pipeline/").content.decode()
    assert 'id="board-hint"' in page and 'id="move-picker"' in page
    assert 'data-pick-stage="closed_won"' in page and "web/sortable.min.js" in page
    cards = client.get("/pipeline/sales/column/prospecting/", **HTMX).content.decode()
    assert "data-move-picker" in cards
    assert 'data-move-to="closed_won"' in cards and 'data-move-to="closed_lost"' in cards


def test_another_reps_card_cannot_be_moved(company: Company, client: Client) -> None:
    opportunity = company.opportunity(company.alice)
    response = logged_in(client, company.bob).post(
        f"/opportunities/{opportunity.pk}/move/", {"stage": "proposal"}, **HTMX
    )
    assert response.status_code == 404
    assert Opportunity.objects.get(pk=opportunity.pk).stage.key == "prospecting"


def test_read_only_users_cannot_move_cards(company: Company, client: Client) -> None:
    opportunity = company.opportunity(company.alice)
    response = logged_in(client, company.rita).post(
        f"/opportunities/{opportunity.pk}/move/", {"stage": "proposal"}, **HTMX
    )
    assert "Read-only users cannot change records." in response.content.decode()
    assert Opportunity.objects.get(pk=opportunity.pk).stage.key == "prospecting"


def test_without_javascript_the_move_form_redirects_to_the_opportunity(
    company: Company, client: Client
) -> None:
    opportunity = company.opportunity(company.alice)
    response = logged_in(client, company.alice).post(
        f"/opportunities/{opportunity.pk}/move/", {"stage": "proposal"}
    )
    assert (
        response.status_code == 302 and response["Location"] == f"/opportunities/{opportunity.pk}/"
    )


def test_changing_a_filter_answers_the_board_fragment_with_fresh_totals(
    company: Company, client: Client
) -> None:
    company.opportunity(company.alice, amount=Decimal("700"))
    response = logged_in(client, company.maria).get("/pipeline/", {"owner": "me"}, **HTMX)
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="board"') and "<html" not in body
    assert 'id="board-summary" hx-swap-oob="true"' in body
    assert 'hx-get="/pipeline/sales/column/prospecting/?owner=me"' in body
    assert "<strong>0</strong> open deals" in body  # Maria owns none of them


def test_a_named_pipeline_has_its_own_board(company: Company, client: Client) -> None:
    page = logged_in(client, company.alice).get("/pipeline/sales/")
    assert page.status_code == 200 and page.context["pipeline"].key == "sales"
