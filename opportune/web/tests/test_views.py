"""Login, navigation by role, settings, and the forms/pagination the pages share."""

from __future__ import annotations

import pytest
from django import forms
from django.test import Client

from conftest import Company
from opportune.errors import RuleViolation
from opportune.leads.models import Lead
from opportune.leads.schemas import LeadChanges
from opportune.web.forms import SchemaForm
from opportune.web.pagination import keyset_page
from opportune.web.testing import (
    logged_in,
    plain_static_files,  # noqa: F401
)

pytestmark = pytest.mark.django_db


def test_pages_need_a_login(client: Client) -> None:
    response = client.get("/leads/")
    assert response.status_code == 302 and response["Location"] == "/login/?next=/leads/"


def test_an_htmx_request_after_the_session_expired_takes_the_page_to_the_login(
    client: Client,
) -> None:
    response = client.get(
        "/leads/",
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/leads/?status=new"},
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/login/?next=%2Fleads%2F%3Fstatus%3Dnew"
    # Without htmx, the usual redirect.
    assert client.get("/leads/")["Location"] == "/login/?next=/leads/"


def test_logging_in_and_out(company: Company, client: Client) -> None:
    page = client.get("/login/").content.decode()
    assert 'for="id_username"' in page and 'for="id_password"' in page
    response = client.post("/login/", {"username": "alice", "password": "correct-horse-battery"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/")["Location"] == "/my-work/"
    assert client.get("/login/").status_code == 302  # already logged in
    response = client.post("/logout/")
    assert response["Location"] == "/login/"
    assert client.get("/my-work/").status_code == 302


def test_a_wrong_password_is_explained(company: Company, client: Client) -> None:
    response = client.post("/login/", {"username": "alice", "password": "wrong"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


@pytest.mark.parametrize(
    ("user", "sees_pipeline", "sees_settings"),
    [
        ("ada", True, True),
        ("maria", True, False),
        ("alice", True, False),
        ("mark", False, False),
        ("rita", True, False),
    ],
)
def test_the_navigation_shows_what_the_role_may_use(
    company: Company, client: Client, user: str, sees_pipeline: bool, sees_settings: bool
) -> None:
    page = logged_in(client, getattr(company, user)).get("/my-work/").content.decode()
    start = page.index('<nav id="main-nav"')
    nav = page[start : page.index("</nav>", start)]
    assert ('href="/pipeline/"' in nav) is sees_pipeline
    assert ('href="/opportunities/"' in nav) is sees_pipeline
    assert ('href="/settings/"' in nav) is sees_settings
    assert 'href="/leads/"' in nav and 'aria-current="page"' in nav


def test_settings_are_for_admins_and_link_the_admin(company: Company, client: Client) -> None:
    assert logged_in(client, company.maria).get("/settings/").status_code == 403
    client.logout()
    company.ada.is_staff = company.ada.is_superuser = True  # as `opportune user add` makes admins
    company.ada.save()
    page = logged_in(client, company.ada).get("/settings/").content.decode()
    for section in (
        "Pipelines and stages",
        "Lead statuses",
        "Lost reasons",
        "Qualification policy",
        "Users",
        "Teams",
    ):
        assert section in page, section
    assert client.get("/admin/leads/leadstatus/").status_code == 200
    assert "Opportune settings" in client.get("/admin/").content.decode()


def test_an_unknown_page_is_a_styled_404(company: Company, client: Client) -> None:
    response = logged_in(client, company.alice).get("/no-such-page/")
    assert response.status_code == 404 and "Not found" in response.content.decode()


def test_static_assets_are_served_locally(company: Company, client: Client) -> None:
    page = logged_in(client, company.alice).get("/pipeline/").content.decode()
    assert "/static/django_htmx/htmx-2.min.js" in page
    assert "/static/web/app.css" in page and "/static/web/kanban.js" in page
    assert "https://" not in page.split("<body")[0]  # no CDN


class LeadNameForm(SchemaForm):
    schema = LeadChanges
    schema_names = {"owner": "owner_id"}

    last_name = forms.CharField(required=False)
    email = forms.CharField(required=False)
    owner = forms.TypedChoiceField(
        choices=[("", "-"), ("1", "x")], coerce=int, empty_value=None, required=False
    )


def test_schema_forms_leave_out_what_was_not_submitted() -> None:
    form = LeadNameForm({"last_name": "Doe"})
    assert form.is_valid() and form.validated is not None
    assert form.validated.model_dump(exclude_unset=True) == {"last_name": "Doe"}


def test_schema_forms_map_domain_errors_to_their_fields() -> None:
    form = LeadNameForm({"last_name": "Doe"})
    form.is_valid()
    form.add_domain_error(
        RuleViolation("Nope", {"owner_id": ["Not that one."], "other": ["Elsewhere."]})
    )
    assert form.errors == {"owner": ["Not that one."]}
    form = LeadNameForm({"last_name": "Doe"})
    form.is_valid()
    form.add_domain_error(RuleViolation("The whole thing is wrong."))
    assert form.non_field_errors() == ["The whole thing is wrong."]


def test_keyset_pages_walk_both_ways_on_a_non_unique_column(company: Company) -> None:
    for number in range(7):
        company.lead(company.alice, last_name="Same" if number < 4 else f"Z{number}")
    leads = Lead.objects.all()
    seen, cursor = [], None
    while True:
        page = keyset_page(leads, "last_name", cursor, limit=3)
        seen += [lead.pk for lead in page.rows]
        if not page.next_cursor:
            break
        last_page, cursor = page, page.next_cursor
    assert seen == list(leads.order_by("last_name", "pk").values_list("pk", flat=True))
    back = keyset_page(leads, "last_name", page.previous_cursor, limit=3)
    assert [lead.pk for lead in back.rows] == [lead.pk for lead in last_page.rows]


def test_the_admin_wears_the_brand_colours(company: Company, client: Client) -> None:
    page = logged_in(client, company.ada).get("/admin/").content.decode()
    assert "--primary: #5b5bd6" in page and "Back to Opportune" in page


def test_an_anonymous_404_needs_no_layout(client: Client) -> None:
    response = client.get("/no-such-page/")
    body = response.content.decode()
    assert response.status_code == 404 and "Not found" in body and 'class="sidebar"' not in body
