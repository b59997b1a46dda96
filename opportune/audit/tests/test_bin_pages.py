"""The recycle bin in the web UI: Delete on record pages, the bin page, Restore and Purge."""

from __future__ import annotations

from django.test import Client

from conftest import Company
from opportune.audit.bin import delete_record
from opportune.leads.models import Lead
from opportune.web.testing import HTMX, logged_in, plain_static_files  # noqa: F401


def test_deleting_from_the_lead_page_sends_it_to_the_bin(company: Company, client: Client) -> None:
    lead = company.lead(company.alice)
    page = logged_in(client, company.alice)
    assert f"/leads/{lead.pk}/delete/" in page.get(f"/leads/{lead.pk}/").content.decode()
    dialog = page.get(f"/leads/{lead.pk}/delete/", **HTMX).content.decode()
    assert "recycle bin" in dialog and "<html" not in dialog
    response = page.post(f"/leads/{lead.pk}/delete/")
    assert response.status_code == 302
    assert page.get(f"/leads/{lead.pk}/").status_code == 404
    assert Lead.with_deleted.get(pk=lead.pk).deleted_by == company.alice


def test_the_delete_button_shows_only_to_who_may_delete(company: Company, client: Client) -> None:
    won = company.opportunity(company.alice, stage_key="closed_won")
    path = f"/opportunities/{won.pk}/"
    assert "/delete/" not in logged_in(client, company.alice).get(path).content.decode()
    assert logged_in(client, company.alice).post(f"{path}delete/").status_code == 403
    assert "/delete/" in logged_in(client, company.maria).get(path).content.decode()
    account = company.account(company.maria)
    page = logged_in(client, company.rita).get(f"/accounts/{account.pk}/").content.decode()
    assert "/delete/" not in page


def test_the_bin_page_restores_and_admins_purge(company: Company, client: Client) -> None:
    lead = company.lead(company.alice, last_name="Binned")
    delete_record(company.alice, lead)
    page = logged_in(client, company.alice).get("/recycle-bin/").content.decode()
    assert "Binned" in page and "Restore<" in page and "Purge<" not in page
    assert "Recycle bin" in page  # in the navigation
    restored = client.post(f"/recycle-bin/lead/{lead.pk}/restore/")
    assert restored.status_code == 302 and restored["Location"] == f"/leads/{lead.pk}/"
    assert client.get(f"/leads/{lead.pk}/").status_code == 200
    delete_record(company.alice, lead)
    assert client.post(f"/recycle-bin/lead/{lead.pk}/purge/").status_code == 403  # admins only
    assert Lead.with_deleted.filter(pk=lead.pk).exists()
    admin = logged_in(client, company.ada)
    assert "Purge<" in admin.get("/recycle-bin/").content.decode()
    admin.post(f"/recycle-bin/lead/{lead.pk}/purge/")
    assert not Lead.with_deleted.filter(pk=lead.pk).exists()


def test_an_account_with_contacts_explains_why_it_stays(company: Company, client: Client) -> None:
    account = company.account(company.alice, "Acme")
    company.contact(company.alice, account, last_name="Stays")
    response = logged_in(client, company.alice).post(f"/accounts/{account.pk}/delete/")
    assert response.status_code == 200
    assert "Stays" in response.content.decode()


def test_history_pages_load_older_changes(company: Company, client: Client) -> None:
    from opportune.audit.models import FieldChange

    lead = company.lead(company.alice)
    FieldChange.objects.bulk_create(
        FieldChange(record_type="lead", record_id=lead.pk, field="title", new_value=f"T{n}")
        for n in range(30)
    )
    page = logged_in(client, company.alice)
    first = page.get(f"/leads/{lead.pk}/history/", **HTMX).content.decode()
    # (A value is its own cell: the signed cursor of "Older changes" may hold "T4" too.)
    assert "<td>T29</td>" in first and "<td>T4</td>" not in first and "Older changes" in first
    assert page.get(f"/leads/{lead.pk}/history/").status_code == 200  # a whole page without htmx
    assert logged_in(client, company.charlie).get(f"/leads/{lead.pk}/history/").status_code == 404
