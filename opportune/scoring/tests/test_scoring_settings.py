"""Settings > Lead scoring: exclusions applied at the next fit, rollback, refit in the
worker, drift figures, and the hot leads view's visibility."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from pytest_django import DjangoAssertNumQueries

from conftest import Company
from opportune.errors import NotAllowed, RuleViolation
from opportune.leads.models import Lead, LeadStatus
from opportune.leads.schemas import LeadCreate
from opportune.leads.services import create_lead
from opportune.scoring import leads as scoring
from opportune.scoring import store
from opportune.scoring.drift import drift, histogram, psi
from opportune.scoring.models import ScoringModel
from opportune.scoring.tests.test_lead_scoring_bulk import custom_world
from opportune.web.testing import plain_static_files

__all__ = ["plain_static_files"]

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_static_files")]


def _login(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def test_fields_an_admin_excludes_are_left_out_of_the_next_fit_and_its_scores(
    company: Company,
) -> None:
    custom_world()
    first = scoring.fit_leads(timezone.now())
    assert {"source", "custom.visits"} <= set(first.card["features"])
    response = _login(company.ada).post(
        "/settings/scoring/exclusions/", {"excluded": ["source", "custom.visits"]}
    )
    assert response.status_code == 302
    assert scoring.admin_exclusions() == {"source", "custom.visits"}
    # Stored, not applied until the next fit: the active model is unchanged.
    assert store.active_fit("lead") == first
    fitted = scoring.fit_leads(timezone.now())
    assert "source" not in fitted.card["features"]
    assert "custom.visits" not in fitted.card["features"]
    assert fitted.card["excluded"] == ["custom.visits", "source"]
    for lead in Lead.objects.filter(status=LeadStatus.default()):
        assert lead.score is not None
        assert {r["feature"] for r in lead.score_reasons}.isdisjoint({"source", "custom.visits"})
    written = create_lead(company.ada, LeadCreate(last_name="N", company="C", source="web"))
    assert written.score is not None  # scoring on write follows the fit's features


def test_only_admins_exclude_fields_and_unknown_fields_are_refused(company: Company) -> None:
    with pytest.raises(NotAllowed):
        scoring.set_exclusions(company.maria, ["source"])
    with pytest.raises(RuleViolation):
        scoring.set_exclusions(company.ada, ["status"])
    response = _login(company.ada).post("/settings/scoring/exclusions/", {"excluded": ["x"]})
    assert response.status_code == 422 and b"Not a lead feature: x" in response.content
    assert _login(company.maria).get("/settings/scoring/").status_code == 403


def test_rolling_back_makes_the_previous_fit_active_and_rescores_open_leads(
    company: Company,
) -> None:
    custom_world()
    first = scoring.fit_leads(timezone.now())
    scoring.set_points(company.ada, 90, {}, timezone.now())  # every open lead: 90
    open_leads = Lead.objects.filter(status=LeadStatus.default())
    assert set(open_leads.values_list("score", flat=True)) == {90}
    response = _login(company.ada).post("/settings/scoring/rollback/")
    assert response.status_code == 302
    assert store.active_fit("lead") == first
    scores = set(Lead.objects.filter(status=LeadStatus.default()).values_list("score", flat=True))
    assert scores != {90} and None not in scores


def test_refit_now_is_queued_in_the_worker_and_its_state_shown(company: Company) -> None:
    client = _login(company.ada)
    assert client.post("/settings/scoring/refit/").status_code == 302
    queued = DBTaskResult.objects.get(task_path="opportune.scoring.tasks.fit_lead_model")
    assert queued.status == "READY"
    page = client.get("/settings/scoring/").content.decode()
    assert "Refit now" in page and "ready" in page


def test_the_settings_page_shows_the_model_card_the_fields_and_the_points(
    company: Company, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    custom_world()
    scoring.fit_leads(timezone.now())
    client = _login(company.ada)
    client.get("/settings/scoring/")
    with django_assert_max_num_queries(20):
        page = client.get("/settings/scoring/").content.decode()
    for text in (
        "Model card",
        "ROC AUC",
        "Brier",
        "Calibration",
        "Feature importances",
        "Drift",
        "Visits",
        "excluded by default",
        "Qualification (BANT)",
        "Suggested from the outcomes so far",
        "A learned model",
    ):
        assert text in page, text
    assert "Lead scoring" in client.get("/settings/").content.decode()


def test_a_points_model_with_bad_json_is_refused_with_a_form_error(company: Company) -> None:
    client = _login(company.ada)
    response = client.post("/settings/scoring/points/", {"base": "20", "points": "{nope"})
    assert response.status_code == 422 and "points-error" in response.content.decode()
    response = client.post(
        "/settings/scoring/points/", {"base": "20", "points": '{"status": {"new": 5}}'}
    )
    assert response.status_code == 422 and "Not a category feature" in response.content.decode()
    assert not ScoringModel.objects.exists()
    response = client.post(
        "/settings/scoring/points/", {"base": "20", "points": '{"source": {"referral": 15}}'}
    )
    assert response.status_code == 302
    active = store.active_fit("lead")
    assert active is not None and active.card["points"] == {"source": {"referral": 15}}


def test_drift_compares_score_deciles_and_gives_the_population_stability_index(
    company: Company, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    assert histogram([0, 5, 15, 100, 95]) == [0.4, 0.2, 0, 0, 0, 0, 0, 0, 0, 0.4]
    assert psi([0.5, 0.5], [0.5, 0.5]) == 0
    expected = (0.8 - 0.5) * math.log(0.8 / 0.5) + (0.2 - 0.5) * math.log(0.2 / 0.5)
    assert psi([0.5, 0.5], [0.8, 0.2]) == pytest.approx(expected)
    fitted_at = timezone.now() - dt.timedelta(days=1)
    training = [0.1] * 10
    fit = ScoringModel.objects.create(
        target="lead",
        fitted_at=fitted_at,
        rows=1,
        positives=1,
        fit_seconds=0,
        card={"score_histogram": training},
        is_active=True,
    )
    for score in (5, 12, 18, 95, 100):
        company.lead(company.alice, score=score)
    old = company.lead(company.alice, score=50)
    Lead.objects.filter(pk=old.pk).update(created_at=fitted_at - dt.timedelta(days=1))
    with django_assert_num_queries(1):
        found = drift(fit)
    assert found is not None and found.new_leads == 5
    assert found.new == [0.2, 0.4, 0, 0, 0, 0, 0, 0, 0, 0.4]
    assert found.psi == pytest.approx(psi(training, found.new))
    assert found.psi is not None and found.psi > 0.25 and found.verdict.startswith("Large")


def test_hot_leads_lists_only_visible_open_leads_highest_score_first(
    company: Company, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    closed = LeadStatus.objects.get(key="unqualified")
    mine = [company.lead(company.bob, last_name=f"Bob{s}", score=s) for s in (30, 90, 60)]
    company.lead(company.charlie, last_name="Charlie99", score=99)  # West: hidden from Bob
    company.lead(company.bob, last_name="Closed95", score=95, status=closed)
    reason = {"feature": "source", "text": "Came from Referral (+18)", "points": 18}
    mine[0].score_reasons = [reason]
    mine[0].save()
    client = _login(company.bob)
    page = client.get("/leads/").content.decode()
    assert 'id="hot-leads"' in page and "status=open&amp;sort=-score" in page
    body = client.get("/leads/?status=open&sort=-score").content.decode()
    names = [n for n in ("Bob90", "Bob60", "Bob30", "Charlie99", "Closed95") if n in body]
    assert names == ["Bob90", "Bob60", "Bob30"]
    assert body.index("Bob90") < body.index("Bob60") < body.index("Bob30")
    assert "Came from Referral (+18)" in body  # the top reason beside the score
    with django_assert_max_num_queries(30):
        client.get("/leads/?status=open&sort=-score")
