"""`opportune demo`: every lead status, every stage, believable history, no duplicates."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.db.models import Count, F
from pytest_django import Settings

from conftest import Company
from opportune.activities.models import Activity, ActivityKind
from opportune.cli import main
from opportune.demo import DemoLogin, load_demo
from opportune.fiscal import period_containing
from opportune.forecasting.models import ForecastAdjustment, Quota
from opportune.identity.models import ApiToken, Role, Team, User, hash_token
from opportune.leads.models import Lead, LeadSource, LeadStatus
from opportune.opportunities.models import Opportunity, OpportunityHistory, Pipeline

NOW = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def demo(db: None, tmp_path: Path) -> DemoLogin:
    return load_demo(seed=1, size="small", login_file=tmp_path / "login.txt", now=NOW)


def test_it_builds_a_sales_organisation(demo: DemoLogin) -> None:
    sales = Team.objects.get(name="Sales")
    assert {t.name for t in sales.children.all()} == {"East", "West", "Enterprise"}
    assert all(t.manager and t.manager.role == Role.SALES_MANAGER for t in sales.children.all())
    roles = Counter(User.objects.values_list("role", flat=True))
    assert set(roles) == set(Role.values)
    assert roles[Role.SALES_REP] == 9
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert admin.check_password(demo.admin[1])
    assert User.objects.get(username=demo.rep[0]).check_password(demo.rep[1])


def test_its_admin_token_has_the_admin_scope(demo: DemoLogin) -> None:
    token = ApiToken.objects.get(key_hash=hash_token(demo.token))
    assert token.user.username == "admin" and token.scope == "admin"


def test_its_passwords_pass_the_password_validators(demo: DemoLogin) -> None:
    for username, password in (demo.admin, demo.manager, demo.rep):
        validate_password(password, User.objects.get(username=username))


def test_it_creates_leads_in_every_status_and_from_every_source(demo: DemoLogin) -> None:
    assert 250 <= Lead.objects.count() <= 350
    statuses = set(Lead.objects.values_list("status__key", flat=True))
    assert statuses == set(LeadStatus.objects.values_list("key", flat=True))
    assert set(Lead.objects.values_list("source", flat=True)) == set(LeadSource.values)
    oldest = Lead.objects.order_by("created_at").first()
    assert oldest is not None and oldest.created_at > NOW - dt.timedelta(days=548)
    assert not Lead.objects.filter(created_at__gt=NOW).exists()
    assert not Lead.objects.filter(status__key="unqualified", disqualify_reason="").exists()
    assert not Lead.objects.filter(email_key="").exists(), "duplicate-matching keys are set"


def test_converted_leads_are_linked_like_a_conversion(demo: DemoLogin) -> None:
    converted = Lead.objects.filter(status__key="converted").select_related(
        "converted_account", "converted_contact", "converted_opportunity"
    )
    assert converted.count() > 30
    assert converted.count() == Lead.objects.filter(is_converted=True).count()
    with_opportunity = 0
    for lead in converted:
        assert lead.converted_at and lead.converted_by_id == lead.owner_id
        assert lead.converted_contact is not None and lead.converted_account is not None
        assert lead.converted_contact.account_id == lead.converted_account_id
        assert lead.converted_contact.email == lead.email
        assert lead.converted_account.normalized_name  # set as Account.save() would
        if lead.converted_opportunity:
            with_opportunity += 1
            opp = lead.converted_opportunity
            assert opp.account_id == lead.converted_account_id
            assert opp.primary_contact_id == lead.converted_contact_id
            assert opp.lead_source == lead.source
            assert opp.created_at == lead.converted_at
            first = opp.history.first()
            assert first is not None and first.stage == Pipeline.default().first_open_stage()
    assert with_opportunity > 0.7 * converted.count()
    relinked = Activity.objects.filter(lead__is_converted=True)
    assert relinked.exists() and not relinked.filter(contact__isnull=True).exists()
    assert not Lead.objects.filter(is_converted=False).exclude(converted_account=None).exists()


def test_opportunities_reach_every_stage_with_consistent_history(demo: DemoLogin) -> None:
    assert 140 <= Opportunity.objects.count() <= 160
    stages = set(Pipeline.default().stages.values_list("key", flat=True))
    assert set(Opportunity.objects.values_list("stage__key", flat=True)) == stages
    history: dict[int, list[OpportunityHistory]] = {}
    for row in OpportunityHistory.objects.order_by("changed_at", "pk"):
        history.setdefault(row.opportunity_id, []).append(row)
    for opp in Opportunity.objects.select_related("stage"):
        rows = history[opp.pk]
        last = rows[-1]
        assert last.stage_id == opp.stage_id
        assert (last.amount, last.close_date, last.probability, last.forecast_category) == (
            opp.amount,
            opp.close_date,
            opp.probability,
            opp.forecast_category,
        )
        assert rows[0].changed_at == opp.created_at and rows[0].previous_amount is None
        assert all(r.changed_at <= NOW for r in rows)
        assert {r.deal_owner_id for r in rows} == {opp.owner_id}, "rows carry today's owner"
        orders = [r.stage.order for r in rows]
        assert orders[:-1] == sorted(orders[:-1]), "stages only move forward"
        for before, after in itertools.pairwise(rows):
            assert after.previous_amount == before.amount
            assert after.previous_close_date == before.close_date
        assert opp.is_closed == opp.stage.is_closed and opp.is_won == opp.stage.is_won
        assert opp.probability == opp.stage.default_probability
        if opp.is_closed:
            assert opp.closed_at == last.changed_at and opp.close_date == opp.closed_at.date()
            assert (opp.lost_reason_id is not None) == (not opp.is_won)
        else:
            assert opp.closed_at is None and opp.lost_reason_id is None
    assert (
        OpportunityHistory.objects.filter(previous_amount__isnull=False)
        .exclude(previous_amount=F("amount"))
        .exists()
    ), "some amounts were revised"


def test_activities_cover_every_kind_and_task_state(demo: DemoLogin) -> None:
    assert set(Activity.objects.values_list("kind", flat=True)) == set(ActivityKind.values)
    tasks = Activity.objects.filter(kind=ActivityKind.TASK)
    today = NOW.date()
    assert tasks.filter(is_done=True, done_at__isnull=False).exists()
    assert tasks.filter(is_done=False, due_date__lt=today).exists(), "some are overdue"
    assert tasks.filter(is_done=False, due_date__gte=today).exists()
    assert not Activity.objects.filter(created_at__gt=NOW).exists()
    assert Activity.objects.filter(kind=ActivityKind.MEETING, start_at__gt=NOW).exists()


def test_the_same_seed_gives_the_same_data(db: None) -> None:
    def loaded() -> tuple[list[tuple[str, str, dt.datetime]], list[tuple[Decimal | None, str]]]:
        with transaction.atomic():
            load_demo(seed=7, size="small", now=NOW)
            leads = Lead.objects.order_by("pk").values_list("company", "status__key", "created_at")
            deals = Opportunity.objects.order_by("pk").values_list("amount", "stage__key")
            result = list(leads), list(deals)
            transaction.set_rollback(True)
        return result

    assert loaded() == loaded()


def test_the_command_prints_the_login_and_refuses_to_load_twice(
    db: None, settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings.DATA_DIR = tmp_path
    assert main(["demo", "--size", "small", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert "http://127.0.0.1:8000/" in out and "admin" in out
    token = out.split("Admin API token: ")[1].split()[0]
    assert ApiToken.objects.filter(key_hash=hash_token(token), user__username="admin").exists()
    assert (tmp_path / "demo-login.txt").read_text().strip() in out
    counts = (Lead.objects.count(), Opportunity.objects.count(), User.objects.count())

    assert main(["demo", "--size", "small", "--seed", "2"]) == 0
    again = capsys.readouterr()
    assert "already loaded" in again.err
    assert token in again.out, "the saved login is shown again"
    assert (Lead.objects.count(), Opportunity.objects.count(), User.objects.count()) == counts


def test_it_refuses_a_database_with_other_records(
    company: Company, capsys: pytest.CaptureFixture[str]
) -> None:
    company.lead(company.alice)
    assert main(["demo"]) == 0
    assert "already holds leads" in capsys.readouterr().err
    assert Lead.objects.count() == 1
    assert not Opportunity.objects.annotate(n=Count("history")).exists()


def test_every_rep_and_manager_has_a_quota_that_fits_their_deals(demo: DemoLogin) -> None:
    current = period_containing(NOW.date(), "quarter")
    quotas = Quota.objects.filter(period_start=current.start, period_end=current.end)
    sellers = User.objects.filter(role__in=[Role.SALES_REP, Role.SALES_MANAGER]).exclude(
        username="victor"
    )
    assert set(quotas.values_list("user__username", flat=True)) == {u.username for u in sellers}
    assert all(q.amount > 0 and q.set_by is not None for q in quotas)
    assert ForecastAdjustment.objects.filter(period=current.key, category="commit").count() == 3
