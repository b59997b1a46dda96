"""The search API's input and output."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from opportune.schemas import InputSchema, OutputSchema

from .terms import MAX_LENGTH

Kind = Literal["lead", "account", "contact", "opportunity"]


class SearchQuery(InputSchema):
    q: str = Field(
        min_length=1,
        max_length=MAX_LENGTH,
        description="Words, each matching the start of a word of a name, company, email, "
        "phone or custom text field; or a phone number in any format.",
    )
    kinds: list[Kind] | None = Field(
        None, description="Only these kinds (repeat the parameter); all by default."
    )
    limit: int = Field(5, ge=1, le=50, description="Records per kind, newest first.")


class HitOut(OutputSchema):
    kind: Kind
    id: int
    title: str
    detail: str = Field(description="A few identifying words: company, email, phone, stage.")
    url: str = Field(description="The record's page.")


class GroupOut(OutputSchema):
    kind: Kind
    total: int = Field(description="How many records of this kind match, at most 1,000.")
    capped: bool = Field(description="More than 1,000 match.")
    list_url: str = Field(description="The kind's list page, searched for the same text.")
    hits: list[HitOut]


class SearchOut(OutputSchema):
    q: str
    groups: list[GroupOut] = Field(description="Kinds with at least one match, in kind order.")
