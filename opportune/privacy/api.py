"""A person's data in the API: export as JSON, and erasure (admins only)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from opportune.accounts.models import Contact
from opportune.identity import policy
from opportune.identity.auth import actor
from opportune.leads.models import Lead
from opportune.schemas import OutputSchema

from .services import Person, erase_personal_data, export_personal_data

router = Router(tags=["personal data"])


class ErasureOut(OutputSchema):
    lead_ids: list[int]
    contact_ids: list[int]


def _erase(request: HttpRequest, record: Person) -> dict[str, Any]:
    person = erase_personal_data(actor(request), record)
    return {
        "lead_ids": [lead.pk for lead in person.leads],
        "contact_ids": [c.pk for c in person.contacts],
    }


@router.get(
    "/leads/{lead_id}/personal-data",
    response=dict[str, Any],
    summary="Everything held about the lead's person, as JSON (admins)",
)
def export_lead(request: HttpRequest, lead_id: int) -> dict[str, Any]:
    lead = policy.get_visible(actor(request), Lead.objects.all(), lead_id)
    return export_personal_data(actor(request), lead)


@router.post(
    "/leads/{lead_id}/erase",
    response=ErasureOut,
    summary="Erase the lead's person everywhere, history included (admins)",
)
def erase_lead(request: HttpRequest, lead_id: int) -> dict[str, Any]:
    return _erase(request, policy.get_visible(actor(request), Lead.objects.all(), lead_id))


@router.get(
    "/contacts/{contact_id}/personal-data",
    response=dict[str, Any],
    summary="Everything held about the contact, as JSON (admins)",
)
def export_contact(request: HttpRequest, contact_id: int) -> dict[str, Any]:
    contact = policy.get_visible(actor(request), Contact.objects.all(), contact_id)
    return export_personal_data(actor(request), contact)


@router.post(
    "/contacts/{contact_id}/erase",
    response=ErasureOut,
    summary="Erase the contact everywhere, history included (admins)",
)
def erase_contact(request: HttpRequest, contact_id: int) -> dict[str, Any]:
    return _erase(request, policy.get_visible(actor(request), Contact.objects.all(), contact_id))
