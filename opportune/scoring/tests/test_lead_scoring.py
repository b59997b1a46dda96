"""Lead conversion scoring: labels, values before the outcome (no leakage), fit, scores
with reasons on write."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import numpy as np
import pytest
from django.test import Client
from django.utils import timezone

from conftest import ApiClient, Company
from opportune.audit.models import FieldChange
from opportune.cli import main
from opportune.identity.models import User
from opportune.leads.models import Lead, LeadStatus
from opportune.leads.schemas import LeadChanges, LeadCreate
from opportune.leads.services import create_lead, update_lead
from opportune.scoring import leads as scoring
from opportune.scoring.core import Feature
from opportune.scoring.models import ScoringModel
from opportune.web.testing import plain_static_files

__all__ = ["plain_static_files"]  # a fixture: pages render without a collected manifest

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_static_files")]

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _history(lead: Lead, field: str, old: str, new: str, at: dt.datetime) -> None:
    change = FieldChange.objects.create(
        record_type="lead", record_id=lead.pk, field=field, old_value=old, new_value=new
    )
    FieldChange.objects.filter(pk=change.pk).update(changed_at=at)


def _world(n: int = 160) -> None:
    """Leads from referrals mostly convert, web leads mostly do not; some stay open."""
    converted = LeadStatus.converted()
    unqualified = LeadStatus.objects.get(key="unqualified")
    new = LeadStatus.default()
    leads = []
    for i in range(n):
        referral = i % 2 == 0
        wins = (i % 10 < 8) if referral else (i % 10 == 1)
        closed = i < n - 20
        status = (converted if wins else unqualified) if closed else new
        leads.append(
            Lead(
                last_name=f"L{i}",
                company=f"C{i}",
                source="referral" if referral else "web",
                email=f"x{i}@{'gmail.com' if i % 3 else 'acme.example'}",
                status=status,
                is_converted=closed and wins,
                converted_at=T0 + dt.timedelta(days=i) if closed and wins else None,
            )
        )
    Lead.objects.bulk_create(leads)
    for lead in Lead.objects.filter(status=unqualified):
        day = T0 + dt.timedelta(days=int(lead.last_name[1:]))
        _history(lead, "status", "new", "unqualified", day)


def test_converted_leads_are_positives_unqualified_negatives_and_open_leads_unused() -> None:
    _world(60)
    data = scoring.training_rows(scoring.Schema([]), timezone.now())
    assert len(data.labels) == 40  # the 20 open leads are not trained on
    converted = Lead.objects.filter(is_converted=True).count()
    assert sum(data.labels) == converted and 0 < converted < 40


def test_a_change_made_with_or_after_the_outcome_does_not_leak_into_training() -> None:
    status = LeadStatus.converted()
    lead = Lead.objects.create(
        last_name="Late",
        company="Co",
        source="referral",
        industry="Retail",
        status=status,
        is_converted=True,
        converted_at=T0,
    )
    # Set in the same change as the conversion, and a week after: both undone.
    _history(lead, "source", "web", "referral", T0)
    _history(lead, "industry", "", "Retail", T0 + dt.timedelta(days=7))
    data = scoring.training_rows(scoring.Schema([]), timezone.now())
    names = [f.name for f in scoring.FEATURES]
    row = data.rows[0]
    assert row[names.index("source")] == "web"
    assert row[names.index("industry")] is None
    assert data.known == [T0]


def test_a_change_before_the_outcome_is_kept() -> None:
    values = scoring.values_before(
        {"source": "referral"}, [("source", "web", T0 - dt.timedelta(days=1))], T0
    )
    assert values["source"] == "referral"


def test_status_rating_and_qualification_fields_are_never_features() -> None:
    names = {f.name for f in scoring.FEATURES}
    never = {"status", "rating", "score", "budget_confirmed", "need_identified"}
    assert not names & never
    assert not names & {"authority_confirmed", "disqualify_reason", "is_converted"}


def test_email_domain_kind_and_title_seniority() -> None:
    assert scoring.email_kind("a@Gmail.com") == "free mail"
    assert scoring.email_kind("a@acme.example") == "company"
    assert scoring.email_kind("") is None
    assert scoring.seniority("VP Sales") == "director"
    assert scoring.seniority("Chief Executive") == "executive"
    assert scoring.seniority("Account Manager") == "manager"
    assert scoring.seniority("Engineer") == "staff"


@pytest.mark.parametrize(
    ("leads", "model"),
    [(160, "points"), (300, "gradient boosting|logistic")],
    ids=["below 200 outcomes: the suggested points model", "enough history: learned"],
)
def test_fit_scores_open_leads_with_reasons_and_new_leads_on_write(
    company: Company, capsys: pytest.CaptureFixture[str], leads: int, model: str
) -> None:
    _world(leads)
    assert main(["score", "fit", "--target", "lead"]) == 0
    assert "ROC AUC" in capsys.readouterr().out
    card = ScoringModel.objects.get(target="lead", is_active=True).card
    assert re.match(model, card["model"])
    hot = Lead.objects.filter(status=LeadStatus.default(), source="referral").first()
    cold = Lead.objects.filter(status=LeadStatus.default(), source="web").first()
    assert hot is not None and cold is not None and hot.score is not None
    assert cold.score is not None and hot.score > cold.score
    assert any(r["text"].startswith("Came from Referral (+") for r in hot.score_reasons)
    assert len(hot.score_reasons) <= 3
    created = create_lead(company.ada, LeadCreate(last_name="N", company="C", source="referral"))
    assert created.score is not None and created.score > 50
    changed = update_lead(company.ada, created, LeadChanges(source="web"))
    assert changed.score is not None and changed.score < created.score


def test_without_a_lead_model_writes_leave_the_score_empty(company: Company) -> None:
    created = create_lead(company.ada, LeadCreate(last_name="N", company="C"))
    assert created.score is None and created.score_reasons == []


def test_the_api_lists_leads_by_score_filters_by_minimum_and_shows_reasons(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    new = LeadStatus.default()
    reasons = [{"feature": "source", "text": "Came from Referral (+18)", "points": 18}]
    for i, score in enumerate([None, 10, 80, 55]):
        Lead.objects.create(
            last_name=f"S{i}",
            company="C",
            status=new,
            owner=company.ada,
            score=score,
            score_reasons=reasons if score else [],
        )
    client = api(company.ada)
    page = client.get("/api/v1/leads", sort="-score", limit=2).json()
    assert [lead["score"] for lead in page["items"]] == [80, 55]
    rest = client.get("/api/v1/leads", sort="-score", limit=2, cursor=page["next"]).json()
    assert [lead["score"] for lead in rest["items"]] == [10, None]
    found = client.get("/api/v1/leads", score_min=50, sort="score").json()["items"]
    assert [lead["score"] for lead in found] == [55, 80]
    assert found[0]["score_reasons"][0]["text"] == "Came from Referral (+18)"
    assert client.get("/api/v1/leads", score_min=101).status_code == 422


def test_walking_a_few_rows_in_python_gives_the_vectorized_contributions() -> None:
    from sklearn.ensemble import HistGradientBoostingClassifier

    from opportune.scoring import explain

    rng = np.random.default_rng(3)
    x = rng.normal(size=(400, 4))
    x[rng.random(x.shape) < 0.1] = np.nan
    y = (np.nan_to_num(x[:, 0]) + rng.normal(size=400) > 0).astype(int)
    model = HistGradientBoostingClassifier(max_iter=20, random_state=0).fit(x, y)
    rows = x[:20]
    base, many = explain.contributions(model, rows)  # more than FEW_ROWS: numpy
    few = np.vstack([explain.contributions(model, rows[i : i + 1])[1] for i in range(20)])
    np.testing.assert_allclose(few, many)
    np.testing.assert_allclose(base + many.sum(axis=1), model.decision_function(rows))


def test_the_suggested_points_follow_each_values_conversion_rate() -> None:
    from opportune.scoring import points

    features = [Feature("source", "category")]
    rows = [["referral"]] * 10 + [["web"]] * 10
    card = points.suggest(features, rows, [1] * 8 + [0] * 2 + [1] * 1 + [0] * 9)
    assert card["base"] == 45
    assert card["points"]["source"]["referral"] > 0 > card["points"]["source"]["web"]
    p, effect = points.Points.of(features, card).effects([["referral"], [None]])
    assert p[1] == pytest.approx(0.45) and effect[1, 0] == 0


def test_the_lead_page_shows_the_score_its_reasons_and_which_model_gives_it(
    company: Company, client: Client
) -> None:
    _world()
    scoring.fit_leads(T0 + dt.timedelta(days=400))
    lead = Lead.objects.filter(status=LeadStatus.default(), source="referral").first()
    assert lead is not None
    Lead.objects.filter(pk=lead.pk).update(owner=company.ada)
    client.force_login(company.ada)
    page = client.get(f"/leads/{lead.pk}/").content.decode()
    assert f"Predicted score: {lead.score}" in page
    assert "Came from Referral (+" in page and "From the points model" in page


def test_without_outcomes_of_both_kinds_no_lead_model_is_stored() -> None:
    from opportune.scoring.core import NotEnoughHistory

    with pytest.raises(NotEnoughHistory, match="some converted and some not"):
        scoring.fit_leads()
    assert not ScoringModel.objects.filter(target="lead").exists()


def test_admins_set_the_points_model_through_the_api_and_open_leads_are_rescored(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    lead = Lead.objects.create(
        last_name="P", company="C", source="referral", status=LeadStatus.default()
    )
    assert api(company.ada).get("/api/v1/scoring/lead").json()["model"] == "none"
    body = {"base": 30, "points": {"source": {"referral": 20}}}
    refused = api(company.alice).client.put(
        "/api/v1/scoring/lead/points", body, content_type="application/json"
    )
    assert refused.status_code == 403
    put = api(company.ada).client.put(
        "/api/v1/scoring/lead/points", body, content_type="application/json"
    )
    assert put.status_code == 200 and put.json()["model"] == "points"
    lead.refresh_from_db()
    assert lead.score == 50
    assert lead.score_reasons[0]["text"] == "Came from Referral (+20)"
    unknown = {"base": 30, "points": {"status": {"new": 5}}}
    wrong = api(company.ada).client.put(
        "/api/v1/scoring/lead/points", unknown, content_type="application/json"
    )
    assert wrong.status_code == 422 and "points.status" in str(wrong.json())
