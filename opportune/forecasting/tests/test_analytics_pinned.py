"""Every analytics report gives, on a seeded world, the numbers it gave before the reports
were rewritten as set-based SQL (pinned_analytics.json), for an admin, a manager and a rep.

To re-pin after a deliberate change of meaning: PIN_ANALYTICS=1 pytest this file."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conftest import Company
from opportune.opportunities.models import Opportunity

from .analytics_pins import reports, seeded_world

PINNED = Path(__file__).with_name("pinned_analytics.json")


@pytest.mark.django_db
def test_every_report_gives_the_pinned_numbers(company: Company) -> None:
    seeded_world(company)
    names = dict(Opportunity.objects.values_list("pk", "name"))
    found = {
        who: reports(user, names)
        for who, user in (("ada", company.ada), ("maria", company.maria), ("bob", company.bob))
    }
    if os.environ.get("PIN_ANALYTICS"):
        PINNED.write_text(json.dumps(found, indent=1, sort_keys=True) + "\n")
    pinned = json.loads(PINNED.read_text())
    for who in found:
        for report in found[who]:
            assert found[who][report] == pinned[who][report], (who, report)
