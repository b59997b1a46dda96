"""The search API's input and output."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from opportune.schemas import InputSchema, OutputSchema

from .index import KINDS
from .terms import MAX_LENGTH

Kind = Literal["lead", "account", "contact", "opportunity"]


class SearchQuery(InputSchema):
    q: str = Field(
        min_length=1,
        max_length=MAX_LENGTH,
        description="Words, each matching the start of a word of a name, company, email, "
        "phone or custom text field; or a phone number in any format.",
    )
    kinds: str | None = Field(
        None,
        description="Only these kinds, comma-separated (lead,account,contact,opportunity); "
        "all by default.",
        examples=["lead,contact"],
    )
    limit: int = Field(5, ge=1, le=50, description="Records per kind, newest first.")

    @field_validator("kinds")
    @classmethod
    def _known_kinds(cls, value: str | None) -> str | None:
        for kind in (value or "").split(","):
            if kind.strip() and kind.strip() not in KINDS:
                raise ValueError(f"Unknown kind {kind.strip()!r}: use {', '.join(KINDS)}.")
        return value

    def kind_list(self) -> tuple[str, ...]:
        """The kinds asked for, every kind when none is named."""
        named = tuple(k.strip() for k in (self.kinds or "").split(",") if k.strip())
        return named or KINDS


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
