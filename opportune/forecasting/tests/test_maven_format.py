"""The loader checks the whole folder before writing anything (no data set needed)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from opportune.forecasting.maven import MavenDataError, load_maven
from opportune.opportunities.models import Opportunity, Pipeline

HEADERS = {
    "accounts.csv": "account,sector,year_established,revenue,employees,office_location,"
    "subsidiary_of",
    "products.csv": "product,series,sales_price",
    "sales_teams.csv": "sales_agent,manager,regional_office",
    "sales_pipeline.csv": "opportunity_id,sales_agent,product,account,deal_stage,engage_date,"
    "close_date,close_value",
}


def write(folder: Path, pipeline_rows: list[str]) -> Path:
    rows = {
        "accounts.csv": ["Acme,technolgy,1996,1100.04,2822,United States,"],
        "products.csv": ["GTX Pro,GTX,4821"],
        "sales_teams.csv": ["Anna Snelling,Dustin Brinkmann,Central"],
        "sales_pipeline.csv": pipeline_rows,
    }
    for name, header in HEADERS.items():
        (folder / name).write_text("\n".join([header, *rows[name]]) + "\n")
    return folder


@pytest.mark.django_db
def test_a_tiny_data_set_loads(tmp_path: Path) -> None:
    write(
        tmp_path,
        [
            "A1,Anna Snelling,GTXPro,Acme,Won,2017-01-02,2017-02-03,4700",
            "A2,Anna Snelling,GTX Pro,,Prospecting,,,",
        ],
    )
    summary = load_maven(tmp_path)
    assert summary.opportunities == 2
    won = Opportunity.objects.get(is_won=True)
    assert (won.name, won.amount, won.account.industry) == (
        "GTX Pro",
        Decimal("4700"),
        "technology",
    )
    open_deal = Opportunity.objects.get(is_closed=False)
    assert open_deal.amount == 4821
    assert open_deal.created_at.date().isoformat() == "2017-02-03"  # the export's last day


@pytest.mark.django_db
def test_every_problem_is_reported_and_nothing_written(tmp_path: Path) -> None:
    write(
        tmp_path,
        [
            "A1,Nobody,GTX Pro,Acme,Won,2017-01-02,2017-02-03,4700",
            "A2,Anna Snelling,GTX Mini,Acme,Engaging,2017-01-02,,",
            "A3,Anna Snelling,GTX Pro,Acme,Won,2017-01-02,,",
            "A4,Anna Snelling,GTX Pro,Acme,Engaging,02/01/2017,,",
            "A5,Anna Snelling,GTX Pro,Acme,Sleeping,,,",
        ],
    )
    with pytest.raises(MavenDataError) as refused:
        load_maven(tmp_path)
    message = refused.value.detail
    assert "line 2: agent 'Nobody'" in message
    assert "line 3: unknown product 'GTX Mini'" in message
    assert "line 4: a Won deal needs engage and close dates" in message
    assert "line 5: '02/01/2017' is not a date" in message
    assert "line 6: unknown deal stage 'Sleeping'" in message
    assert not Pipeline.objects.filter(key="maven").exists()


def test_a_folder_without_the_files_is_refused(tmp_path: Path) -> None:
    with pytest.raises(MavenDataError, match=r"lacks accounts\.csv"):
        load_maven(tmp_path)
