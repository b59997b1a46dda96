"""Before converting, likely duplicates are reported (PRODUCT.md section 3): accounts by
normalized company name and website domain, contacts by email, among visible records only."""

from __future__ import annotations

from conftest import Company
from opportune.leads.conversion import conversion_candidates


def test_it_finds_an_account_by_normalized_company_name(company: Company) -> None:
    acme = company.account(company.alice, "ACME, Inc.")
    lead = company.lead(company.alice, company="Acme")
    assert conversion_candidates(company.alice, lead).accounts == [acme]


def test_it_finds_an_account_whatever_the_legal_suffix_and_case(company: Company) -> None:
    acme = company.account(company.alice, "Acme Corporation")
    lead = company.lead(company.alice, company="acme corp.")
    assert conversion_candidates(company.alice, lead).accounts == [acme]


def test_it_finds_an_account_by_website_domain(company: Company) -> None:
    acme = company.account(company.alice, "Acme Holdings Group", website="https://www.acme.com/")
    lead = company.lead(company.alice, company="Roadrunner Traps", website="acme.com/contact")
    assert conversion_candidates(company.alice, lead).accounts == [acme]


def test_it_does_not_match_on_an_empty_website(company: Company) -> None:
    company.account(company.alice, "Initech", website="")
    lead = company.lead(company.alice, company="Acme", website="")
    assert conversion_candidates(company.alice, lead).accounts == []


def test_it_does_not_report_unrelated_accounts(company: Company) -> None:
    company.account(company.alice, "Acme Rockets", website="acmerockets.example")
    lead = company.lead(company.alice, company="Acme", website="acme.example")
    assert conversion_candidates(company.alice, lead).accounts == []


def test_it_finds_a_contact_by_email(company: Company) -> None:
    acme = company.account(company.alice, "Acme")
    wile = company.contact(company.alice, acme, email="wile@acme.example")
    company.contact(company.alice, acme, email="road@acme.example")
    lead = company.lead(company.alice, email="wile@acme.example")
    assert conversion_candidates(company.alice, lead).contacts == [wile]


def test_it_finds_a_contact_by_email_whatever_the_case_of_the_leads(company: Company) -> None:
    # Input schemas store emails lower-cased; a lead written otherwise still matches.
    wile = company.contact(company.alice, None, email="wile.e@acme.example")
    lead = company.lead(company.alice, email="Wile.E@Acme.example")
    assert conversion_candidates(company.alice, lead).contacts == [wile]


def test_it_reports_no_contact_for_a_lead_without_email(company: Company) -> None:
    company.contact(company.alice, None, email="")
    lead = company.lead(company.alice, email="")
    assert conversion_candidates(company.alice, lead).contacts == []


def test_it_reports_only_records_the_user_can_see(company: Company) -> None:
    company.account(company.charlie, "Acme")
    company.contact(company.charlie, None, email="wile@acme.example")
    lead = company.lead(company.alice, company="Acme", email="wile@acme.example")
    candidates = conversion_candidates(company.alice, lead)
    assert (candidates.accounts, candidates.contacts) == ([], [])

    candidates = conversion_candidates(company.ada, lead)
    assert (len(candidates.accounts), len(candidates.contacts)) == (1, 1)
