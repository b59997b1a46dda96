"""What saved views, the total and the bulk bar cost a list page: the views menu and the
default-view look-up are one query of the user's views (read once a request), the total
one capped COUNT, and the bulk bar's owner picker reuses the owners the filter bar read."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from conftest import Company
from opportune.savedviews.models import SavedView
from opportune.web.testing import (
    logged_in,
    plain_static_files,  # noqa: F401
)

pytestmark = pytest.mark.django_db

# Session, user, the two visibility reads of teams, the rows, the COUNT, the custom fields
# the column chooser offers, the possible owners (filter bar and bulk bar), the teams a view
# is shared with or may be, the saved views; leads add their statuses (filter bar, then the
# bulk bar), deals the stages the bulk bar offers.
EXPECTED = {"/leads/": 12, "/accounts/": 10, "/contacts/": 10, "/opportunities/": 11}


def _records(company: Company, path: str, rows: int) -> None:
    for number in range(rows):
        if path == "/leads/":
            company.lead(company.alice, last_name=f"L{number}")
        elif path == "/accounts/":
            company.account(company.alice, f"A{number}")
        elif path == "/contacts/":
            company.contact(company.alice, None, last_name=f"C{number}")
        else:
            company.opportunity(company.alice, name=f"D{number}")


@pytest.mark.parametrize("rows", [3, 30])
@pytest.mark.parametrize("path", list(EXPECTED))
def test_a_list_page_with_its_views_menu_total_and_bulk_bar_costs_a_fixed_few_queries(
    company: Company, client: Client, path: str, rows: int
) -> None:
    _records(company, path, rows)
    kind = path.strip("/")
    SavedView.objects.create(owner=company.maria, kind=kind, name="Mine", query="sort=-created")
    SavedView.objects.create(owner=company.ada, kind=kind, name="Shared", team=company.sales)
    client = logged_in(client, company.maria)
    client.get(path)  # warm the session
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    assert len(captured) == EXPECTED[path]
    assert [view.name for view in response.context["saved_views"]] == ["Mine", "Shared"]
    assert response.context["total"] == rows
    owners = response.context["bulk"].fields["owner"].choices
    assert (company.bob.pk, str(company.bob)) in owners
    count_queries = [q for q in captured.captured_queries if "COUNT(" in q["sql"]]
    assert len(count_queries) == 1
