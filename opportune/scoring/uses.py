"""Every lead field with its use in lead scoring, for the settings page: used, excluded by
default (with why: most leak the outcome), or excluded by an admin."""

from __future__ import annotations

from dataclasses import dataclass

from opportune.customfields.models import FieldType, Kind
from opportune.customfields.services import fields_of
from opportune.leads.models import Lead

from .leads import BUILT_IN, CUSTOM_NUMBERS, FEATURES, admin_exclusions

OUTCOME = "The outcome itself, or set with it: leaks the label."
QUALIFICATION = "Qualification (BANT), filled by the sales team after contact: leaks the outcome."
WHY: dict[str, str] = {
    "status": OUTCOME,
    "is_converted": OUTCOME,
    "converted_at": OUTCOME,
    "converted_by": OUTCOME,
    "converted_account": OUTCOME,
    "converted_contact": OUTCOME,
    "converted_opportunity": OUTCOME,
    "disqualify_reason": OUTCOME,
    "rating": "Set by the sales team after contact: leaks the outcome.",
    "score": "The score itself.",
    "score_reasons": "The score itself.",
    "owner": "Who works the lead, decided after it arrives.",
    "last_activity_at": "Moves with the sales team's work: counted before the outcome instead.",
    "budget_amount": QUALIFICATION,
    "budget_confirmed": QUALIFICATION,
    "decision_maker": QUALIFICATION,
    "decision_maker_title": QUALIFICATION,
    "authority_confirmed": QUALIFICATION,
    "need_description": QUALIFICATION,
    "need_identified": QUALIFICATION,
    "expected_purchase_date": QUALIFICATION,
}
DERIVED_FROM = {
    "email": "Used as the email domain kind (free mail or company) and in completeness.",
    "title": "Used as title seniority and in completeness.",
    "phone": "Used in completeness.",
    "website": "Used in completeness.",
    "city": "Used in completeness.",
}
BOOKKEEPING = {"id", "deleted_at", "deleted_by", "created_at", "updated_at", "custom"}
BOOKKEEPING |= {"email_key", "phone_key", "name_key", "company_key"}


@dataclass
class Use:
    name: str  # the feature name an admin may exclude ("" when not excludable)
    label: str
    use: str  # "used", "default", "admin", "derived"
    why: str = ""


def field_uses() -> list[Use]:
    excluded = admin_exclusions()
    features = {f.name for f in FEATURES}
    out: list[Use] = []
    for field in Lead._meta.concrete_fields:
        name = field.name
        if name in BOOKKEEPING:
            continue
        label = str(field.verbose_name).capitalize().replace("Utm ", "UTM ")
        if name in features:
            use = "admin" if name in excluded else "used"
            out.append(Use(name, label, use, "Excluded by an admin." if use == "admin" else ""))
        elif name in DERIVED_FROM:
            out.append(Use("", label, "derived", DERIVED_FROM[name]))
        elif name in WHY:
            out.append(Use("", label, "default", WHY[name]))
        elif name not in BUILT_IN:
            out.append(Use("", label, "default", "Free text or identity: says nothing general."))
    for name, label, why in (
        ("email_kind", "Email domain kind", ""),
        ("seniority", "Title seniority", ""),
        ("completeness", "Completeness", ""),
        ("activities", "Activities before the outcome", ""),
    ):
        use = "admin" if name in excluded else "used"
        out.append(
            Use(name, label, use, why or ("Excluded by an admin." if use == "admin" else ""))
        )
    usable = {FieldType.CHECKBOX, FieldType.PICKLIST, FieldType.DATE, *CUSTOM_NUMBERS}
    for custom in fields_of(Kind.LEAD):
        name = f"custom.{custom.key}"
        if custom.type not in usable:
            out.append(Use("", custom.label, "default", "Free text: says nothing general."))
        elif name in excluded:
            out.append(Use(name, custom.label, "admin", "Excluded by an admin."))
        else:
            out.append(Use(name, custom.label, "used"))
    return out
