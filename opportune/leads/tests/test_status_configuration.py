"""Configuration that cannot break the rules: exactly one default and one converted lead
status, keys the API can name, and conversion that never fails with a 500 on configuration."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import IntegrityError, transaction
from django.forms import modelform_factory

from conftest import ApiClient, Company
from opportune.identity.models import User
from opportune.leads.models import LeadStatus
from opportune.opportunities.models import Pipeline, Stage

StatusForm = modelform_factory(LeadStatus, fields="__all__")
StageForm = modelform_factory(Stage, fields="__all__")
PipelineForm = modelform_factory(Pipeline, fields="__all__")


def _status(**fields: object) -> dict[str, object]:
    return {"key": "won_over", "label": "Won over", "order": 9, **fields}


def test_the_database_holds_exactly_one_converted_status(db: None) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        LeadStatus.objects.create(key="won_over", label="Won over", is_converted=True)


def test_a_second_converted_status_is_refused_with_a_clear_error(db: None) -> None:
    form = StatusForm(_status(is_converted=True, is_closed=True))
    assert not form.is_valid()
    assert "converted" in str(form.errors).lower()
    assert LeadStatus.objects.filter(is_converted=True).count() == 1


def test_the_converted_status_cannot_be_unmarked(db: None) -> None:
    converted = LeadStatus.objects.get(is_converted=True)
    data = {**StatusForm(instance=converted).initial, "is_converted": False}
    form = StatusForm(data, instance=converted)
    assert not form.is_valid()
    assert "is_converted" in form.errors


def test_marking_another_status_default_moves_the_default(db: None) -> None:
    working = LeadStatus.objects.get(key="working")
    form = StatusForm(
        {**StatusForm(instance=working).initial, "is_default": True}, instance=working
    )
    assert form.is_valid(), form.errors
    form.save()
    assert list(LeadStatus.objects.filter(is_default=True)) == [working]


def test_the_default_status_cannot_be_unmarked_or_closed(db: None) -> None:
    new = LeadStatus.objects.get(is_default=True)
    for change in ({"is_default": False}, {"is_closed": True}):
        form = StatusForm({**StatusForm(instance=new).initial, **change}, instance=new)
        assert not form.is_valid(), change


def test_a_converted_status_must_be_closed(db: None) -> None:
    converted = LeadStatus.objects.get(is_converted=True)
    data = {**StatusForm(instance=converted).initial, "is_closed": False}
    assert not StatusForm(data, instance=converted).is_valid()


@pytest.mark.parametrize("key", ["Working", "in progress", "é", "-"])
def test_keys_are_lowercase_slugs_the_api_can_name(db: None, key: str) -> None:
    assert "key" in StatusForm(_status(key=key)).errors
    assert "key" in PipelineForm({"key": key, "name": "P"}).errors


def test_stage_keys_are_unique_per_pipeline(db: None) -> None:
    pipeline = Pipeline.default()
    data = {
        "pipeline": pipeline.pk,
        "key": "proposal",
        "label": "Another proposal",
        "order": 99,
        "default_probability": 50,
        "forecast_category": "pipeline",
        "is_active": True,
    }
    form = StageForm(data)
    assert not form.is_valid()
    assert "already has a stage with this key" in str(form.errors)
    assert "key" in StageForm({**data, "key": "Proposal Two"}).errors


def test_conversion_answers_a_clear_error_not_a_500_when_no_status_is_converted(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    LeadStatus.objects.filter(is_converted=True).update(is_converted=False)
    lead = company.qualified_lead(company.alice)
    response = api(company.alice).post(f"/api/v1/leads/{lead.pk}/convert", {})
    assert response.status_code == 409
    assert "converted" in response.json()["detail"]
