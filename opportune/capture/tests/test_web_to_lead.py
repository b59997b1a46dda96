"""Public web-to-lead forms: no login, honeypot, rate limit, size limits, clear errors, and a
repeat post for an open lead updates it instead of duplicating it (PRODUCT.md section 6)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client, override_settings

from conftest import Company
from opportune.activities.models import Activity
from opportune.capture import web_forms
from opportune.capture.models import AssignmentRule, WebForm
from opportune.leads.models import Lead


@pytest.fixture
def form(company: Company) -> WebForm:
    return WebForm.objects.create(
        name="Contact us",
        key="contact-us",
        fields="first_name,last_name,email,company,phone,title",
        required_fields="last_name,email",
        campaign="Spring webinar",
        created_by=company.mark,
    )


URL = "/api/v1/web-to-lead/contact-us"


def test_a_json_post_creates_a_lead_with_the_forms_source_and_campaign(form: WebForm) -> None:
    response = Client().post(
        URL,
        {"last_name": "Lo", "email": "lo@hooli.example", "company": "Hooli"},
        content_type="application/json",
    )
    assert response.status_code == 201
    lead = Lead.objects.get()
    assert (lead.email, lead.source, lead.campaign) == ("lo@hooli.example", "web", "Spring webinar")


def test_a_browser_form_post_is_redirected_to_the_thank_you_page(form: WebForm) -> None:
    form.redirect_url = "https://example.com/thanks"
    form.save()
    client = Client(enforce_csrf_checks=True)
    response = client.post(URL, {"last_name": "Lo", "email": "lo@hooli.example"})
    assert response.status_code == 303
    assert response["Location"] == "https://example.com/thanks"
    assert Lead.objects.get().company == "[not provided]"


def test_the_assignment_rules_or_the_forms_owner_decide(company: Company, form: WebForm) -> None:
    AssignmentRule.objects.create(name="Web", sources="web", assign_to=company.bob)
    Client().post(URL, {"last_name": "A", "email": "a@x.example"})
    assert Lead.objects.get(email="a@x.example").owner == company.bob
    form.default_owner = company.alice
    form.save()
    Client().post(URL, {"last_name": "B", "email": "b@x.example"})
    assert Lead.objects.get(email="b@x.example").owner == company.alice


def test_a_filled_honeypot_is_answered_as_usual_but_keeps_nothing(form: WebForm) -> None:
    response = Client().post(URL, {"last_name": "Bot", "email": "b@x.example", "website_url": "x"})
    assert response.status_code == 201
    assert not Lead.objects.exists()


def test_missing_and_invalid_fields_are_422_with_field_errors(form: WebForm) -> None:
    response = Client().post(URL, {"last_name": "Lo", "email": "not-an-email"})
    assert response.status_code == 422
    assert "email" in response.json()["errors"]
    response = Client().post(URL, {"first_name": "Lo"})
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"last_name", "email"}


def test_oversized_bodies_and_fields_are_413(form: WebForm) -> None:
    response = Client().post(URL, {"last_name": "Lo", "email": "a@x.example", "title": "x" * 5000})
    assert response.status_code == 413
    big = {"last_name": "Lo", "email": "a@x.example", "description": "x" * 40_000}
    response = Client().post(URL, big, content_type="application/json")
    assert response.status_code == 413
    assert not Lead.objects.exists()


# The rate limit counts posts per calendar minute: its tests stop the clock mid-minute, so a
# run that straddles a minute boundary cannot start a new window halfway.
FIXED_NOW = dt.datetime(2026, 11, 30, 10, 15, 30, tzinfo=dt.UTC)


@pytest.fixture
def stopped_clock(monkeypatch: pytest.MonkeyPatch) -> dt.datetime:
    class Clock:
        @staticmethod
        def now() -> dt.datetime:
            return FIXED_NOW

    monkeypatch.setattr(web_forms, "timezone", Clock)
    return FIXED_NOW


def test_the_limit_counts_each_calendar_minute_apart(form: WebForm) -> None:
    minute = dt.datetime(2026, 11, 30, 10, 15, tzinfo=dt.UTC)
    counts = [
        web_forms.count_submission("203.0.113.5", now=minute + dt.timedelta(seconds=s))
        for s in (0, 59, 60, 61)
    ]
    assert counts == [1, 2, 1, 2]


@override_settings(OPPORTUNE_WEB_TO_LEAD_PER_MINUTE=3)
@pytest.mark.usefixtures("stopped_clock")
def test_one_address_is_rate_limited(form: WebForm) -> None:
    client = Client(REMOTE_ADDR="203.0.113.9")
    codes = [
        client.post(URL, {"last_name": "Lo", "email": f"l{n}@x.example"}).status_code
        for n in range(4)
    ]
    assert codes == [201, 201, 201, 429]


def _post_via(client: Client, forwarded_for: str, n: int) -> int:
    data = {"last_name": "Lo", "email": f"p{n}@x.example"}
    return client.post(URL, data, HTTP_X_FORWARDED_FOR=forwarded_for).status_code


@override_settings(OPPORTUNE_WEB_TO_LEAD_PER_MINUTE=2, OPPORTUNE_TRUSTED_PROXIES=1)
@pytest.mark.usefixtures("stopped_clock")
def test_behind_a_trusted_proxy_the_limit_counts_the_address_the_proxy_saw(
    form: WebForm,
) -> None:
    proxy = Client(REMOTE_ADDR="10.0.0.2")
    # A bot rotating the entries it writes itself still comes from one address.
    codes = [_post_via(proxy, f"198.51.100.{n}, 203.0.113.7", n) for n in range(3)]
    assert codes == [201, 201, 429]
    assert _post_via(proxy, "203.0.113.8", 9) == 201  # another visitor, same proxy


@override_settings(OPPORTUNE_WEB_TO_LEAD_PER_MINUTE=2)
@pytest.mark.usefixtures("stopped_clock")
def test_without_a_trusted_proxy_x_forwarded_for_is_ignored(form: WebForm) -> None:
    client = Client(REMOTE_ADDR="203.0.113.9")
    codes = [_post_via(client, f"198.51.100.{n}", n) for n in range(3)]
    assert codes == [201, 201, 429]
    other = Client(REMOTE_ADDR="203.0.113.10")
    assert other.post(URL, {"last_name": "Lo", "email": "z@x.example"}).status_code == 201


def test_a_repeat_post_updates_the_open_lead_and_logs_it(form: WebForm) -> None:
    Client().post(URL, {"last_name": "Lo", "email": "lo@hooli.example"})
    response = Client().post(
        URL, {"last_name": "Lo", "email": "LO@hooli.example", "title": "CTO", "company": "Hooli"}
    )
    assert response.status_code == 200
    lead = Lead.objects.get()
    assert (lead.title, lead.company) == ("CTO", "Hooli")
    activity = Activity.objects.get(lead=lead)
    assert activity.subject == "Form submitted again"


def test_an_unknown_or_inactive_form_is_404(form: WebForm) -> None:
    assert Client().post("/api/v1/web-to-lead/nope", {"last_name": "x"}).status_code == 404
    form.is_active = False
    form.save()
    assert Client().post(URL, {"last_name": "x", "email": "a@x.example"}).status_code == 404


def test_the_snippet_posts_every_field_and_hides_the_honeypot(form: WebForm) -> None:
    from opportune.capture.web_forms import form_snippet

    html = form_snippet(form, "https://crm.example.com")
    assert 'action="https://crm.example.com/api/v1/web-to-lead/contact-us"' in html
    assert '<input name="email" type="email" required>' in html
    assert 'name="website_url" tabindex="-1"' in html


def test_admins_test_a_lead_against_the_rules_in_the_admin(company: Company) -> None:
    from django.test import Client

    AssignmentRule.objects.create(name="Events", sources="event", assign_to=company.bob)
    company.ada.is_staff = True
    company.ada.is_superuser = True
    company.ada.save()
    client = Client()
    client.force_login(company.ada)
    response = client.post("/admin/capture/assignmentrule/test/", {"source": "event"})
    assert response.status_code == 200
    assert "Events" in response.content.decode()
    assert "Bob" in response.content.decode()
