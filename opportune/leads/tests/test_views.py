"""The lead pages: list, create, edit, the lead page, status changes and bulk actions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from conftest import Company
from opportune.audit.models import FieldChange
from opportune.leads.models import Lead, LeadStatus
from opportune.web.testing import (
    HTMX,
    logged_in,
    plain_static_files,  # noqa: F401
)

pytestmark = pytest.mark.django_db


def test_it_lists_only_the_leads_the_user_sees(company: Company, client: Client) -> None:
    company.lead(company.alice, last_name="Alicelead")
    company.lead(company.bob, last_name="Boblead")
    page = logged_in(client, company.bob).get("/leads/").content.decode()
    assert "Boblead" in page
    assert "Alicelead" not in page


def test_it_searches_name_company_and_email(company: Company, client: Client) -> None:
    company.lead(company.alice, last_name="Nakamura", company="Initech", email="k@initech.example")
    company.lead(company.alice, last_name="Smith", company="Globex", email="s@globex.example")
    client = logged_in(client, company.alice)
    for query in ("naka", "initech", "k@initech"):
        page = client.get("/leads/", {"q": query}).content.decode()
        assert "Nakamura" in page and "Smith" not in page, query
    page = client.get("/leads/", {"q": "Lena Smith"}).content.decode()
    assert "Smith" in page and "Nakamura" not in page


def test_it_filters_by_status_source_rating_owner_and_created_range(
    company: Company, client: Client
) -> None:
    old = company.lead(company.maria, last_name="Old", source="event", rating="hot")
    Lead.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=40))
    company.lead(company.alice, last_name="Fresh", source="web", rating="cold")
    company.lead(
        company.alice,
        last_name="Gone",
        status=LeadStatus.objects.get(key="unqualified"),
        disqualify_reason="No budget",
    )
    client = logged_in(client, company.maria)

    def names(**params: str) -> set[str]:
        page = client.get("/leads/", params).content.decode()
        return {n for n in ("Old", "Fresh", "Gone") if f">Lena {n}<" in page}

    assert names() == {"Old", "Fresh"}  # open leads by default
    assert names(status="all") == {"Old", "Fresh", "Gone"}
    assert names(status="unqualified") == {"Gone"}
    assert names(source="event") == {"Old"}
    assert names(rating="cold") == {"Fresh"}
    assert names(owner="me") == {"Old"}
    assert names(owner=str(company.alice.pk)) == {"Fresh"}
    today = timezone.localdate()
    assert names(created_from=str(today - dt.timedelta(days=1))) == {"Fresh"}
    assert names(created_to=str(today - dt.timedelta(days=30))) == {"Old"}


def test_it_sorts_by_a_column_both_ways(company: Company, client: Client) -> None:
    for name in ("Bravo", "Alpha", "Charlie"):
        company.lead(company.alice, last_name=name)
    client = logged_in(client, company.alice)
    page = client.get("/leads/", {"sort": "name"}).content.decode()
    assert page.index("Lena Alpha") < page.index("Lena Bravo") < page.index("Lena Charlie")
    page = client.get("/leads/", {"sort": "-name"}).content.decode()
    assert page.index("Lena Charlie") < page.index("Lena Bravo") < page.index("Lena Alpha")


def test_it_pages_with_a_cursor_forwards_and_back(company: Company, client: Client) -> None:
    from opportune.leads import views

    views.PAGE_SIZE, saved = 2, views.PAGE_SIZE
    try:
        for number in range(5):
            company.lead(company.alice, last_name=f"N{number}")
        client = logged_in(client, company.alice)
        first = client.get("/leads/")
        assert [lead.last_name for lead in first.context["page"].rows] == ["N4", "N3"]
        second = client.get("/leads/", {"cursor": first.context["page"].next_cursor})
        assert [lead.last_name for lead in second.context["page"].rows] == ["N2", "N1"]
        third = client.get("/leads/", {"cursor": second.context["page"].next_cursor})
        assert [lead.last_name for lead in third.context["page"].rows] == ["N0"]
        assert third.context["page"].next_cursor is None
        back = client.get("/leads/", {"cursor": third.context["page"].previous_cursor})
        assert [lead.last_name for lead in back.context["page"].rows] == ["N2", "N1"]
        by_name = client.get("/leads/", {"sort": "name"})
        after = client.get(
            "/leads/", {"sort": "name", "cursor": by_name.context["page"].next_cursor}
        )
        assert [lead.last_name for lead in after.context["page"].rows] == ["N2", "N3"]
    finally:
        views.PAGE_SIZE = saved


def test_a_forged_cursor_restarts_at_the_first_page(company: Company, client: Client) -> None:
    company.lead(company.alice, last_name="Only")
    response = logged_in(client, company.alice).get("/leads/", {"cursor": "garbage"})
    assert response.status_code == 200
    assert "Only" in response.content.decode()


def test_the_list_answers_an_htmx_request_with_the_results_fragment(
    company: Company, client: Client
) -> None:
    company.lead(company.alice, last_name="Fragment")
    response = logged_in(client, company.alice).get("/leads/", {"q": "frag"}, **HTMX)
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="results">')
    assert "Fragment" in body and "<html" not in body


@pytest.mark.parametrize("rows", [5, 50])
def test_the_list_costs_the_same_queries_for_5_or_50_leads(
    company: Company,
    client: Client,
    rows: int,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    for number in range(rows):
        company.lead(company.alice if number % 2 else company.bob, last_name=f"L{number}")
    client = logged_in(client, company.maria)
    client.get("/leads/")  # warm the session
    # 12: the page, its capped total (one COUNT), the saved views (teams, views: one read
    # for the menu and the default-view look-up), one read of the possible owners.
    with django_assert_max_num_queries(12):
        response = client.get("/leads/")
    assert len(response.context["page"].rows) == rows


def test_it_creates_a_lead_owned_by_its_creator(company: Company, client: Client) -> None:
    response = logged_in(client, company.alice).post(
        "/leads/new/",
        {
            "first_name": "Nina",
            "last_name": "New",
            "company": "Hooli",
            "email": "NINA@hooli.example",
        },
    )
    lead = Lead.objects.get(last_name="New")
    assert response.status_code == 302 and response["Location"] == f"/leads/{lead.pk}/"
    assert lead.owner == company.alice
    assert lead.email == "nina@hooli.example"
    assert lead.status.key == "new"


def test_a_bad_email_is_shown_at_the_email_field(company: Company, client: Client) -> None:
    response = logged_in(client, company.alice).post(
        "/leads/new/", {"last_name": "New", "company": "Hooli", "email": "not-an-email"}
    )
    assert response.status_code == 422
    form = response.context["form"]
    assert form.errors == {"email": ["Enter a valid email address."]}
    assert 'id="id_email_error"' in response.content.decode()
    assert not Lead.objects.filter(last_name="New").exists()


def test_required_fields_come_from_the_schema(company: Company, client: Client) -> None:
    response = logged_in(client, company.alice).post("/leads/new/", {"first_name": "Only"})
    assert response.status_code == 422
    assert response.context["form"].errors == {
        "last_name": ["This field is required."],
        "company": ["This field is required."],
    }


def test_unassigning_ones_own_lead_returns_to_the_list(company: Company, client: Client) -> None:
    lead = company.lead(company.alice)
    response = logged_in(client, company.alice).post(
        f"/leads/{lead.pk}/edit/", {"last_name": "Lead", "company": "Globex", "owner": ""}
    )
    assert response.status_code == 302 and response["Location"] == "/leads/"
    assert Lead.objects.get(pk=lead.pk).owner is None


def test_the_lead_page_shows_details_checklist_and_timeline(
    company: Company, client: Client
) -> None:
    lead = company.lead(company.alice, need_identified=True)
    page = logged_in(client, company.alice).get(f"/leads/{lead.pk}/").content.decode()
    assert "Lena Lead" in page and "Globex Corporation" in page
    assert "Qualification" in page and "Log a call" in page
    assert "Conversion is blocked until: Budget confirmed, Decision maker confirmed." in page


def test_a_qualified_lead_is_ready_to_convert(company: Company, client: Client) -> None:
    lead = company.qualified_lead(company.alice)
    page = logged_in(client, company.alice).get(f"/leads/{lead.pk}/").content.decode()
    assert "Ready to convert" in page and "Conversion is blocked" not in page


@pytest.mark.parametrize("path", ["", "edit/", "convert/", "status/", "qualification/"])
def test_another_reps_lead_is_a_404_for_every_verb(
    company: Company, client: Client, path: str
) -> None:
    lead = company.lead(company.alice)
    client = logged_in(client, company.bob)
    assert client.get(f"/leads/{lead.pk}/{path}").status_code == 404
    assert client.post(f"/leads/{lead.pk}/{path}", {"last_name": "X"}).status_code == 404
    lead.refresh_from_db()
    assert lead.last_name == "Lead"


def test_the_404_page_is_a_styled_page(company: Company, client: Client) -> None:
    lead = company.lead(company.alice)
    page = logged_in(client, company.bob).get(f"/leads/{lead.pk}/").content.decode()
    assert "Not found" in page and 'class="sidebar"' in page


def test_inline_edit_answers_the_form_then_the_details(company: Company, client: Client) -> None:
    lead = company.lead(company.alice)
    client = logged_in(client, company.alice)
    form = client.get(f"/leads/{lead.pk}/edit/", **HTMX).content.decode()
    assert form.lstrip().startswith('<section id="lead-details"') and "<html" not in form
    data = {
        "first_name": "Lena",
        "last_name": "Lead",
        "company": "Globex Corporation",
        "title": "CTO",
    }
    response = client.post(f"/leads/{lead.pk}/edit/", data, **HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert '<span class="inline-value">CTO</span>' in body and 'hx-swap-oob="true"' in body
    assert Lead.objects.get(pk=lead.pk).title == "CTO"
    assert FieldChange.objects.filter(record_id=lead.pk, field="title", new_value="CTO").exists()


def test_an_invalid_inline_edit_answers_422_with_the_errors(
    company: Company, client: Client
) -> None:
    lead = company.lead(company.alice)
    response = logged_in(client, company.alice).post(
        f"/leads/{lead.pk}/edit/", {"last_name": "", "company": "Globex"}, **HTMX
    )
    assert response.status_code == 422
    assert response.context["form"].errors == {"last_name": ["This field is required."]}


def test_the_full_edit_page_redirects_to_the_lead(company: Company, client: Client) -> None:
    lead = company.lead(company.alice)
    response = logged_in(client, company.alice).post(
        f"/leads/{lead.pk}/edit/", {"last_name": "Lead", "company": "Umbrella"}
    )
    assert response.status_code == 302
    assert Lead.objects.get(pk=lead.pk).company == "Umbrella"


def test_a_converted_lead_cannot_be_edited(company: Company, client: Client) -> None:
    lead = company.lead(company.alice, is_converted=True)
    response = logged_in(client, company.alice).post(
        f"/leads/{lead.pk}/edit/", {"last_name": "Lead", "company": "Umbrella"}
    )
    assert response.status_code == 422
    assert "read-only" in str(response.context["form"].non_field_errors())


def test_the_checklist_saves_bant_and_shows_what_still_blocks(
    company: Company, client: Client
) -> None:
    lead = company.lead(company.alice)
    response = logged_in(client, company.alice).post(
        f"/leads/{lead.pk}/qualification/",
        {"need_identified": "on", "need_description": "Faster quotes", "budget_amount": "5000"},
        **HTMX,
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<section class="card" id="checklist"')
    assert "Conversion is blocked until: Budget confirmed, Decision maker confirmed." in body
    assert 'id="lead-header" hx-swap-oob="true"' in body
    lead.refresh_from_db()
    assert lead.need_identified and lead.budget_amount == Decimal("5000")


def test_the_checklist_rejects_a_negative_budget_at_the_field(
    company: Company, client: Client
) -> None:
    lead = company.lead(company.alice)
    response = logged_in(client, company.alice).post(
        f"/leads/{lead.pk}/qualification/", {"budget_amount": "-5"}, **HTMX
    )
    assert response.status_code == 422
    assert list(response.context["qualification_form"].errors) == ["budget_amount"]


def test_disqualifying_asks_for_a_reason(company: Company, client: Client) -> None:
    lead = company.lead(company.alice)
    client = logged_in(client, company.alice)
    dialog = client.get(f"/leads/{lead.pk}/status/?status=unqualified", **HTMX).content.decode()
    assert 'id="dialog-title"' in dialog and "Reason" in dialog
    refused = client.post(f"/leads/{lead.pk}/status/", {"status": "unqualified"}, **HTMX)
    assert refused.status_code == 422
    assert list(refused.context["form"].errors) == ["disqualify_reason"]
    done = client.post(
        f"/leads/{lead.pk}/status/",
        {"status": "unqualified", "disqualify_reason": "No budget"},
        **HTMX,
    )
    assert done.status_code == 200 and done["HX-Redirect"] == f"/leads/{lead.pk}/"
    lead.refresh_from_db()
    assert lead.status.key == "unqualified" and lead.disqualify_reason == "No budget"


def test_converted_is_not_a_status_one_can_pick(company: Company, client: Client) -> None:
    lead = company.lead(company.alice)
    response = logged_in(client, company.alice).post(
        f"/leads/{lead.pk}/status/", {"status": "converted"}
    )
    assert response.status_code == 422
    assert Lead.objects.get(pk=lead.pk).status.key == "new"


def test_bulk_assign_goes_through_the_service_for_visible_leads_only_all_or_nothing(
    company: Company, client: Client
) -> None:
    mine = [company.lead(company.alice, last_name=f"M{i}") for i in range(3)]
    foreign = company.lead(company.charlie, last_name="Foreign")
    response = logged_in(client, company.maria).post(
        "/leads/bulk/",
        {
            "bulk-action": "assign",
            "bulk-owner": str(company.bob.pk),
            "bulk-ids": [str(lead.pk) for lead in [*mine, foreign]],
            "return_to": "/leads/?q=m",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/leads/?q=m"
    # A lead outside Maria's view is refused, so nothing is written (all or nothing).
    assert not Lead.objects.filter(owner=company.bob).exists()
    response = logged_in(client, company.maria).post(
        "/leads/bulk/",
        {
            "bulk-action": "assign",
            "bulk-owner": str(company.bob.pk),
            "bulk-ids": [str(lead.pk) for lead in mine],
        },
    )
    assert set(Lead.objects.filter(owner=company.bob).values_list("pk", flat=True)) == {
        lead.pk for lead in mine
    }
    assert Lead.objects.get(pk=foreign.pk).owner == company.charlie
    assert FieldChange.objects.filter(field="owner", record_id=mine[0].pk).exists()


def test_bulk_status_change_reports_each_refusal(company: Company, client: Client) -> None:
    leads = [company.lead(company.alice, last_name=f"S{i}") for i in range(2)]
    client = logged_in(client, company.alice)
    response = client.post(
        "/leads/bulk/",
        {
            "bulk-action": "status",
            "bulk-status": "unqualified",
            "bulk-ids": [str(lead.pk) for lead in leads],
        },
        follow=True,
    )
    messages = [str(m) for m in response.context["messages"]]
    assert messages[0].startswith("Nothing was changed: 2 of the 2 selected leads were refused")
    assert len(messages) == 3 and all("reason is required" in m for m in messages[1:])
    response = client.post(
        "/leads/bulk/",
        {
            "bulk-action": "status",
            "bulk-status": "unqualified",
            "bulk-reason": "Went dark",
            "bulk-ids": [str(lead.pk) for lead in leads],
        },
        follow=True,
    )
    assert [str(m) for m in response.context["messages"]] == ["Updated 2 leads."]
    assert set(Lead.objects.values_list("status__key", flat=True)) == {"unqualified"}


def test_read_only_users_see_no_write_actions(company: Company, client: Client) -> None:
    lead = company.lead(company.alice)
    client = logged_in(client, company.rita)
    assert "New lead" not in client.get("/leads/").content.decode()
    page = client.get(f"/leads/{lead.pk}/").content.decode()
    assert "Convert" not in page and "Save qualification" not in page
    response = client.post("/leads/new/", {"last_name": "X", "company": "Y"})
    assert response.status_code == 403
    assert "Read-only users cannot change records." in response.content.decode()


@pytest.mark.parametrize("fragment", ["details", "checklist", "header"])
def test_the_lead_page_answers_each_fragment_alone(
    company: Company, client: Client, fragment: str
) -> None:
    lead = company.lead(company.alice)
    response = logged_in(client, company.alice).get(
        f"/leads/{lead.pk}/", {"fragment": fragment}, **HTMX
    )
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert {
        "details": 'id="lead-details"',
        "checklist": 'id="checklist"',
        "header": 'id="lead-header"',
    }[fragment] in body
