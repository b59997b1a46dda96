"""The inbox, the bell and the API: one's own notifications only, newest first, marked read
one by one or all at once, preferences validated, and a constant number of queries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

from django.test import Client

from conftest import ApiClient, Company
from opportune.identity.models import User
from opportune.notifications.models import Notification, Preference
from opportune.web.testing import (
    HTMX,
    logged_in,
    plain_static_files,  # noqa: F401
)

if TYPE_CHECKING:
    from pytest_django import DjangoAssertNumQueries

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


def _notify(user: User, n: int, **fields: object) -> list[Notification]:
    return Notification.objects.bulk_create(
        Notification(
            recipient=user,
            kind="assigned",
            record_type="lead",
            record_id=1000 + i,
            title=f"Ada assigned you the lead number {i}",
            created_at=NOW + dt.timedelta(minutes=i),
            **fields,
        )
        for i in range(n)
    )


def test_the_bell_counts_ones_unread_in_app_notifications(company: Company, client: Client) -> None:
    _notify(company.bob, 3)
    _notify(company.bob, 2, read_at=NOW)
    _notify(company.bob, 4, in_app=False, email_state="sent")
    _notify(company.alice, 5)
    response = logged_in(client, company.bob).get("/notifications/bell/", **HTMX)
    assert 'aria-label="Notifications, 3 unread"' in response.content.decode()


def test_the_bell_costs_one_query_beyond_the_session(
    company: Company, client: Client, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    _notify(company.bob, 120)
    logged_in(client, company.bob)
    with django_assert_num_queries(3):  # session, user, the count
        response = client.get("/notifications/bell/", **HTMX)
    assert ">99+<" in response.content.decode()


def test_the_inbox_lists_newest_first_in_pages_with_constant_queries(
    company: Company, client: Client, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    _notify(company.bob, 45)
    logged_in(client, company.bob)
    with django_assert_num_queries(3):  # session, user, one page
        first = client.get("/notifications/").content.decode()
    assert first.index("number 44") < first.index("number 15")
    assert "number 14<" not in first
    assert 'rel="next"' in first


def test_opening_marks_read_and_goes_to_the_record(company: Company, client: Client) -> None:
    (notification,) = _notify(company.bob, 1)
    response = logged_in(client, company.bob).get(f"/notifications/{notification.pk}/")
    assert response.status_code == 302 and response["Location"] == "/leads/1000/"
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_someone_elses_notification_is_a_404(company: Company, client: Client) -> None:
    (alices,) = _notify(company.alice, 1)
    bob = logged_in(client, company.bob)
    assert bob.get(f"/notifications/{alices.pk}/").status_code == 404
    assert bob.post(f"/notifications/{alices.pk}/read/").status_code == 404


def test_mark_read_and_mark_all_read_on_the_page(company: Company, client: Client) -> None:
    first, *_ = _notify(company.bob, 3)
    (alices,) = _notify(company.alice, 1)
    bob = logged_in(client, company.bob)
    response = bob.post(f"/notifications/{first.pk}/read/", **HTMX)
    assert response["HX-Trigger"] == "notifications-changed"
    assert Notification.objects.filter(recipient=company.bob, read_at__isnull=True).count() == 2
    bob.post("/notifications/read-all/")
    assert not Notification.objects.filter(recipient=company.bob, read_at__isnull=True).exists()
    alices.refresh_from_db()
    assert alices.read_at is None


def test_the_preferences_page_saves_a_channel_per_kind(company: Company, client: Client) -> None:
    bob = logged_in(client, company.bob)
    page = bob.get("/notifications/preferences/").content.decode()
    assert 'name="deal_moved" value="in_app" aria-labelledby' in page
    bob.post("/notifications/preferences/", {"assigned": "email", "deal_moved": "none"})
    chosen = dict(Preference.objects.filter(user=company.bob).values_list("kind", "channel"))
    assert chosen == {"assigned": "email", "deal_moved": "none"}  # the others: defaults
    page = bob.get("/notifications/preferences/").content.decode()
    assert 'value="none" aria-labelledby="kind-deal_moved channel-deal_moved-none" checked' in page


def test_the_api_lists_marks_and_pages(company: Company, api: Callable[[User], ApiClient]) -> None:
    notes = _notify(company.bob, 3)
    bob = api(company.bob)
    body = bob.get("/api/v1/notifications", limit=2).json()
    assert [item["id"] for item in body["items"]] == [notes[2].pk, notes[1].pk]
    assert body["items"][0]["url"] == "/leads/1002/"
    assert (
        bob.get("/api/v1/notifications", cursor=body["next"]).json()["items"][0]["id"]
        == notes[0].pk
    )
    read = bob.post(f"/api/v1/notifications/{notes[0].pk}/read").json()
    assert read["read_at"] is not None
    assert len(bob.get("/api/v1/notifications", unread="true").json()["items"]) == 2
    assert bob.post("/api/v1/notifications/read-all").json() == {"marked": 2}
    assert api(company.alice).post(f"/api/v1/notifications/{notes[0].pk}/read").status_code == 404


def test_the_api_reads_and_sets_preferences_naming_a_bad_value(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    bob = api(company.bob)
    assert bob.get("/api/v1/notifications/preferences").json()["deal_moved"] == "in_app"
    response = bob.client.put(
        "/api/v1/notifications/preferences", {"assigned": "none"}, content_type="application/json"
    )
    assert response.json()["assigned"] == "none"
    bad = bob.client.put(
        "/api/v1/notifications/preferences",
        {"assigned": "pigeon", "colour": "x"},
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert {"assigned", "colour"} <= set(bad.json()["errors"])
