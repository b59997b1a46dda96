from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import Q, QuerySet

from conftest import Company
from opportune.identity.models import User
from opportune.probes import AnyOf, index_probes


def _names(queryset: QuerySet[User]) -> list[str]:
    return sorted(queryset.values_list("username", flat=True))


def test_any_of_keeps_the_rows_whose_field_is_one_of_the_keys(company: Company) -> None:
    found = User.objects.filter(AnyOf("username", {"alice", "bob", "nobody"}))
    assert _names(found) == ["alice", "bob"]


def test_any_of_no_keys_matches_nothing_and_drops_out_of_an_or(company: Company) -> None:
    assert _names(User.objects.filter(AnyOf("username", []))) == []
    either = Q(AnyOf("username", [])) | Q(AnyOf("email", [company.alice.email]))
    assert _names(User.objects.filter(either)) == ["alice"]


def test_any_of_combines_with_other_filters_and_related_fields(company: Company) -> None:
    east = User.objects.filter(AnyOf("team__name", ["East"])).filter(role="sales_rep")
    assert _names(east) == ["alice", "bob"]


def _seqscan() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW enable_seqscan")
        setting: str = cursor.fetchone()[0]
        return setting


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL planner setting")
def test_index_probes_forbid_scans_inside_the_block_and_restore_the_setting(db: None) -> None:
    assert _seqscan() == "on"
    with index_probes():
        assert _seqscan() == "off"
    assert _seqscan() == "on"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL planner setting")
def test_index_probes_restore_the_setting_when_the_block_fails(db: None) -> None:
    with pytest.raises(ZeroDivisionError), index_probes():
        raise ZeroDivisionError
    assert _seqscan() == "on"
