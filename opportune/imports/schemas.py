"""Import and export input and output."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import Field

from opportune.schemas import InputSchema, OutputSchema


class ImportJobOut(OutputSchema):
    id: int
    target: str
    status: str
    dry_run: bool
    match_key: str
    filename: str
    encoding: str
    delimiter: str
    mapping: dict[str, Any]
    total_rows: int | None
    rows_done: int
    percent: int
    created: int
    updated: int
    skipped: int
    invalid: int
    possible_duplicates: int
    failure: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None


class MappingIn(InputSchema):
    """A column mapping to save (see ``ImportMapping``)."""

    name: str = Field(min_length=1, max_length=120)
    is_shared: bool = Field(False, description="Others may import with it; only you edit it.")
    target: str = Field("leads", pattern="^(leads|accounts|contacts|opportunities|activities)$")
    columns: dict[str, str] = Field(default_factory=dict, description="Header -> field ('' skips).")
    values: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="Field -> {file value: stored value}."
    )
    defaults: dict[str, str] = Field(default_factory=dict, description="Field -> value if empty.")
    options: dict[str, Any] = Field(
        default_factory=dict,
        description='{"unknown_owner": "assign"} lets the rules assign rows whose owner is '
        'unknown; {"scale": {"annual_revenue": 1000000}} multiplies a column; '
        '{"date_order": "dmy"} reads 1/2/2024 as 1 February.',
    )
    new_values: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="Field -> {key: label}: picklist values the real import adds (admins).",
    )
    custom_fields: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description='Key -> {"label", "type", "values": {key: label}}: custom fields the '
        "import creates for columns mapped to custom.<key> (admins; an existing field of the "
        "same key and type is reused).",
    )


class MappingOut(OutputSchema):
    id: int
    name: str
    is_shared: bool
    created_by_id: int | None
    target: str
    columns: dict[str, str]
    values: dict[str, dict[str, str]]
    defaults: dict[str, str]
    options: dict[str, Any]
    new_values: dict[str, dict[str, str]]
    custom_fields: dict[str, dict[str, Any]]


class UnmappedValueOut(OutputSchema):
    """A picklist value of the file that maps to nothing: give it under ``values`` in the
    mapping of the next run ({field: {value: key}}, or '' for blank)."""

    column: str
    field: str
    value: str
    count: int
    lines: list[int] = Field(description="The first rows holding it (line numbers).")
