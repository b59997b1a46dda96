"""/api/v1/views (saved views) and the lists' ``count=true``."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from conftest import ApiClient, Company
from opportune.identity.models import User
from opportune.savedviews.models import SavedView

pytestmark = pytest.mark.django_db

Api = Callable[[User], ApiClient]


def test_a_view_is_created_read_changed_and_deleted(company: Company, api: Api) -> None:
    alice = api(company.alice)
    created = alice.post(
        "/api/v1/views",
        {"kind": "leads", "name": "Hot", "query": "rating=hot&sort=-created", "page_size": 25},
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["kind"] == "leads" and body["page_size"] == 25 and body["team_id"] is None
    path = f"/api/v1/views/{body['id']}"
    assert alice.get(path).json()["query"] == "rating=hot&sort=-created"
    changed = alice.patch(path, {"name": "Hotter", "team_id": company.east.pk})
    assert changed.status_code == 200 and changed.json()["team_id"] == company.east.pk
    assert [v["name"] for v in api(company.bob).get("/api/v1/views", kind="leads").json()] == [
        "Hotter"
    ]
    assert api(company.bob).get("/api/v1/views", kind="accounts").json() == []
    assert alice.delete(path).status_code == 204
    assert not SavedView.objects.exists()


def test_an_invalid_filter_is_a_problem_naming_the_parameter(company: Company, api: Api) -> None:
    response = api(company.alice).post(
        "/api/v1/views", {"kind": "leads", "name": "Bad", "query": "rating=scorching"}
    )
    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["errors"]["query"][0].startswith("rating: Unknown value 'scorching'")


def test_an_unknown_page_size_or_list_is_refused(company: Company, api: Api) -> None:
    alice = api(company.alice)
    assert (
        alice.post("/api/v1/views", {"kind": "leads", "name": "X", "page_size": 30}).status_code
        == 422
    )
    assert alice.post("/api/v1/views", {"kind": "tasks", "name": "X"}).status_code == 422


def test_a_private_view_is_a_404_and_a_shared_one_a_403_to_change(
    company: Company, api: Api
) -> None:
    alice = api(company.alice)
    private = alice.post("/api/v1/views", {"kind": "leads", "name": "Mine"}).json()
    shared = alice.post(
        "/api/v1/views", {"kind": "leads", "name": "Ours", "team_id": company.east.pk}
    ).json()
    bob = api(company.bob)
    assert bob.get(f"/api/v1/views/{private['id']}").status_code == 404
    assert bob.patch(f"/api/v1/views/{private['id']}", {"name": "X"}).status_code == 404
    assert bob.get(f"/api/v1/views/{shared['id']}").status_code == 200
    assert bob.patch(f"/api/v1/views/{shared['id']}", {"name": "X"}).status_code == 403
    assert bob.delete(f"/api/v1/views/{shared['id']}").status_code == 403
    assert api(company.ada).patch(f"/api/v1/views/{shared['id']}", {"name": "Y"}).status_code == 200


def test_sharing_with_another_team_is_refused(company: Company, api: Api) -> None:
    response = api(company.alice).post(
        "/api/v1/views", {"kind": "leads", "name": "West", "team_id": company.west.pk}
    )
    assert response.status_code == 403 and "team_id" in response.json()["errors"]


def test_a_list_gives_its_count_only_when_asked(company: Company, api: Api) -> None:
    for number in range(3):
        company.lead(company.alice, last_name=f"L{number}")
    company.lead(company.charlie, last_name="Elsewhere")
    alice = api(company.alice)
    plain = alice.get("/api/v1/leads", limit=2).json()
    assert set(plain) == {"items", "next"}
    counted = alice.get("/api/v1/leads", limit=2, count="true").json()
    assert counted["count"] == 3 and counted["count_capped"] is False
    assert len(counted["items"]) == 2
    assert alice.get("/api/v1/leads", count="maybe").status_code == 422


def test_a_count_beyond_the_cap_is_capped_and_says_so(company: Company) -> None:
    from opportune.leads.models import Lead
    from opportune.paging import capped_count

    for number in range(5):
        company.lead(company.alice, last_name=f"L{number}")
    assert capped_count(Lead.objects.all(), cap=3) == (3, True)
    assert capped_count(Lead.objects.all(), cap=5) == (5, False)
