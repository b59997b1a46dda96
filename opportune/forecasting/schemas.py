"""Forecasting input, shared by the API, the forms and the CLI."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field

from opportune.schemas import InputSchema, RecordId

Money = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
PeriodKey = Annotated[str, Field(min_length=4, max_length=12, examples=["2026-Q4", "2026-11"])]


class QuotaIn(InputSchema):
    user_id: int
    period: PeriodKey
    amount: Money | None = Field(description="The quota; null removes it.")


class AdjustmentIn(InputSchema):
    user_id: RecordId | None = Field(
        None,
        description="The user whose rolled-up figure is adjusted (a manager: their team's); "
        "or give team_id.",
    )
    team_id: RecordId | None = Field(
        None, description="The team whose rolled-up figure is adjusted."
    )
    period: PeriodKey
    category: Literal["commit", "best_case"]
    amount: Money | None = Field(description="The adjusted figure; null withdraws it.")
    note: str = Field("", max_length=2000)
