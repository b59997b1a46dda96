"""Possible duplicates: same email, same phone in any format, or a close name at a close
company; only among leads the user may see (PRODUCT.md section 6)."""

from __future__ import annotations

from collections.abc import Callable

from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import ApiClient, Company
from opportune.capture.duplicates import find_duplicates
from opportune.capture.keys import company_key, name_key, phone_key
from opportune.identity.models import User


def test_phone_numbers_in_any_format_share_one_key() -> None:
    assert phone_key("(415) 555-0123") == "+14155550123"
    assert phone_key("+1 415 555 0123") == "+14155550123"
    assert phone_key("020 7946 0958", "GB") == "+442079460958"
    assert phone_key("020 7946 0958", "United Kingdom") == "+442079460958"
    assert phone_key("not a phone") == ""


def test_the_fast_path_for_north_american_numbers_agrees_with_phonenumbers() -> None:
    import random

    from opportune.capture.keys import library_phone_key

    rng = random.Random(5)
    spellings = [
        "({a}) {b}-{c}", "{a}-{b}-{c}", "{a}.{b}.{c}", "1-{a}-{b}-{c}", "+1 {a} {b} {c}",
        "+1 ({a}) {b}-{c}", "1 ({a}) {b} {c}", "{a} {b} {c}", "+1-{a}-{b}-{c}", "{a}{b}{c}",
    ]  # fmt: skip
    for _ in range(3000):
        a = f"{rng.randint(0, 999):03d}"
        b = f"{rng.randint(0, 999):03d}"
        c = f"{rng.randint(0, 9999):04d}"
        phone = rng.choice(spellings).format(a=a, b=b, c=c)
        for country, region in (("US", "US"), ("", "US"), ("Canada", "CA"), ("India", "IN")):
            assert phone_key(phone, country) == library_phone_key(phone, region), (phone, country)
    for other in ("+44 20 7946 0958", "+7 912 345 67 89", "415 555 0123 x12", "+1 800 FLOWERS"):
        assert phone_key(other) == library_phone_key(other, "US"), other


def test_names_and_companies_are_compared_without_order_case_accents_or_legal_suffix() -> None:
    assert name_key("José", "García") == name_key("garcia", "JOSE")
    assert company_key("ACME, Inc.") == company_key("Acme")


def test_it_finds_a_lead_with_the_same_email_in_another_case(company: Company) -> None:
    first = company.lead(company.alice, email="lena@globex.example")
    second = company.lead(company.alice, email="Lena@Globex.example", last_name="Other")
    matches = find_duplicates(company.alice, second)
    assert [(m.lead, "email" in m.reasons, m.score) for m in matches] == [(first, True, 100)]


def test_it_finds_a_lead_with_the_same_phone_written_differently(company: Company) -> None:
    first = company.lead(company.alice, email="", phone="+1 (415) 555-0123", last_name="A")
    second = company.lead(company.alice, email="", phone="415.555.0123", last_name="B")
    assert [m.lead for m in find_duplicates(company.alice, second)] == [first]


def test_it_finds_a_similar_name_at_a_similar_company(company: Company) -> None:
    first = company.lead(
        company.alice, first_name="Jonathan", last_name="Smith", company="Initech Inc", email=""
    )
    second = company.lead(
        company.alice, first_name="Jonathon", last_name="Smith", company="INITECH", email=""
    )
    other = company.lead(
        company.alice, first_name="Maria", last_name="Lopez", company="Initech", email=""
    )
    matches = find_duplicates(company.alice, second)
    assert [m.lead for m in matches] == [first]
    assert matches[0].reasons == ["name_company"]
    assert other not in [m.lead for m in matches]


def test_it_reports_only_leads_the_user_can_see(company: Company) -> None:
    company.lead(company.charlie, email="lena@globex.example")
    mine = company.lead(company.alice, email="lena@globex.example", last_name="Mine")
    assert find_duplicates(company.alice, mine) == []
    assert len(find_duplicates(company.ada, mine)) == 1


def test_a_check_is_a_few_indexed_queries(company: Company) -> None:
    for n in range(30):
        company.lead(company.alice, email=f"x{n}@globex.example", last_name=f"L{n}")
    lead = company.lead(company.alice, email="x1@globex.example")
    with CaptureQueriesContext(connection) as queries:
        find_duplicates(company.ada, lead)
    assert len(queries) <= 4


def test_the_api_lists_duplicates_and_answers_404_outside_the_view(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    first = company.lead(company.alice, email="lena@globex.example")
    second = company.lead(company.alice, email="lena@globex.example", last_name="Again")
    response = api(company.alice).get(f"/api/v1/leads/{second.pk}/duplicates")
    assert response.status_code == 200
    assert [d["id"] for d in response.json()] == [first.pk]
    assert response.json()[0]["reasons"] == ["email"]
    assert api(company.charlie).get(f"/api/v1/leads/{second.pk}/duplicates").status_code == 404


def test_creating_a_lead_through_the_api_reports_its_duplicates(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    first = company.lead(company.alice, email="lena@globex.example")
    response = api(company.alice).post(
        "/api/v1/leads", {"last_name": "Lead", "company": "Globex", "email": "LENA@globex.example"}
    )
    assert response.status_code == 201
    assert [d["id"] for d in response.json()["duplicates"]] == [first.pk]
    fresh = api(company.alice).post(
        "/api/v1/leads", {"last_name": "New", "company": "Hooli", "email": "new@hooli.example"}
    )
    assert fresh.json()["duplicates"] == []
