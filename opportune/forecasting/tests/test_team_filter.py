"""The forecast's team filter offers only the teams of the user's view (policy.visible_teams),
and a team outside it asked by URL is the whole view, not an empty $0 forecast."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from conftest import Company
from opportune.identity import policy
from opportune.web.testing import (
    logged_in,
    plain_static_files,  # noqa: F401
)

pytestmark = pytest.mark.django_db


def _offered(html: str) -> set[str]:
    select = re.search(r'<select name="team">(.*?)</select>', html, re.S)
    assert select is not None
    return set(re.findall(r">([^<]+)</option>", select.group(1))) - {"All I may see"}


def test_a_manager_is_offered_only_the_teams_of_their_view(company: Company) -> None:
    assert set(policy.visible_teams(company.maria)) == {company.east}
    assert set(policy.visible_teams(company.ada)) == {company.sales, company.east, company.west}
    html = logged_in(Client(), company.maria).get("/forecast/").content.decode()
    assert _offered(html) == {"East"}


def test_a_team_outside_the_view_asked_by_url_shows_the_whole_view(company: Company) -> None:
    company.opportunity(company.alice, amount=5000)
    client = logged_in(Client(), company.maria)
    whole = client.get("/forecast/").content.decode()
    outside = client.get(f"/forecast/?team={company.west.pk}").content.decode()
    assert "5,000" in whole
    assert "5,000" in outside
