"""Fields the tests define, through the same service the API and settings use."""

from __future__ import annotations

from typing import Any

from opportune.identity.models import User

from ..models import CustomField
from ..schemas import FieldCreate
from ..services import define_field

REGIONS = [{"key": "emea", "label": "EMEA"}, {"key": "apac", "label": "APAC"}]


def define(admin: User, kind: str, key: str, type_: str, **extra: Any) -> CustomField:
    if type_ in {"picklist", "multi_picklist"}:
        extra.setdefault("values", REGIONS)
    data = FieldCreate.model_validate(
        {"kind": kind, "key": key, "label": key.replace("_", " ").title(), "type": type_, **extra}
    )
    return define_field(admin, data)
