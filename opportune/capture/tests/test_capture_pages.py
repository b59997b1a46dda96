"""The capture pages: possible duplicates, the merge screen and its undo, web-to-lead forms
with their snippet; a lead outside the user's view is a 404 there too."""

from __future__ import annotations

from django.test import Client

from conftest import Company
from opportune.capture.models import LeadMerge, WebForm
from opportune.identity.models import User
from opportune.leads.models import Lead


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_duplicates_page_groups_leads_sharing_an_email(company: Company) -> None:
    a = company.lead(company.alice, email="same@x.example", last_name="Ay")
    b = company.lead(company.alice, email="SAME@x.example", last_name="Bee")
    company.lead(company.alice, email="other@x.example", last_name="Zuzzle")
    page = _client(company.alice).get("/capture/duplicates/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Same email: same@x.example" in text
    assert f'value="{a.pk}"' in text and f'value="{b.pk}"' in text
    assert "Zuzzle" not in text


def test_a_leads_duplicates_page_lists_fuzzy_matches_and_hides_others(company: Company) -> None:
    lead = company.lead(company.alice, first_name="Jonathan", last_name="Smith", email="")
    company.lead(
        company.alice, first_name="Jonathon", last_name="Smith", email="", company="GLOBEX CORP"
    )
    page = _client(company.alice).get(f"/capture/leads/{lead.pk}/duplicates/")
    assert "Jonathon Smith" in page.content.decode()
    assert "name_company" in page.content.decode()
    assert _client(company.charlie).get(f"/capture/leads/{lead.pk}/duplicates/").status_code == 404


def test_the_merge_screen_merges_with_chosen_values_and_undoes(company: Company) -> None:
    master = company.lead(company.alice, title="", phone="")
    other = company.lead(company.alice, title="CTO", phone="+14155550100", last_name="Other")
    client = _client(company.alice)
    screen = client.get("/capture/merge/", {"ids": [master.pk, other.pk]})
    assert screen.status_code == 200
    assert "CTO" in screen.content.decode()
    done = client.post(
        "/capture/merge/",
        {"ids": [master.pk, other.pk], "master": master.pk, "field_last_name": other.pk},
    )
    merge = LeadMerge.objects.get()
    assert done.status_code == 302 and done["Location"] == f"/capture/merges/{merge.pk}/"
    master.refresh_from_db()
    assert (master.last_name, master.title) == ("Other", "CTO")
    assert "Undo the merge" in client.get(done["Location"]).content.decode()
    client.post(f"/capture/merges/{merge.pk}/undo/")
    assert Lead.objects.filter(pk=other.pk).exists()


def test_merging_a_lead_outside_the_view_is_404(company: Company) -> None:
    mine = company.lead(company.alice)
    hidden = company.lead(company.charlie)
    client = _client(company.alice)
    assert client.get("/capture/merge/", {"ids": [mine.pk, hidden.pk]}).status_code == 404
    assert client.post("/capture/merge/", {"ids": [mine.pk, hidden.pk]}).status_code == 404
    assert Lead.objects.filter(pk=hidden.pk).exists()


def test_marketing_configures_a_web_form_and_sees_its_snippet(company: Company) -> None:
    client = _client(company.mark)
    response = client.post(
        "/capture/forms/new/",
        {
            "name": "Contact us",
            "is_active": "on",
            "fields": "first_name, last_name, email",
            "required_fields": "email",
            "source": "web",
            "honeypot_field": "website_url",
        },
    )
    form = WebForm.objects.get()
    assert response.status_code == 302
    assert (form.fields, form.created_by) == ("first_name,last_name,email", company.mark)
    page = client.get(f"/capture/forms/{form.pk}/").content.decode()
    assert f"/api/v1/web-to-lead/{form.key}" in page
    assert "&lt;form action=" in page
    bad = client.post(f"/capture/forms/{form.pk}/", {"name": "x", "fields": "password"})
    assert "Not a lead field" in bad.content.decode()
    assert _client(company.alice).get("/capture/forms/").status_code == 403
