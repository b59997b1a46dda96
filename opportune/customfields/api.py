"""/api/v1/custom-fields: everyone reads the definitions (they describe the ``custom``
object of records); only admins define and change them."""

from __future__ import annotations

from typing import Literal

from django.http import Http404, HttpRequest
from ninja import Query, Router, Status

from opportune.identity.auth import actor

from .models import CustomField
from .schemas import FieldChanges, FieldCreate, FieldOut
from .services import change_field, define_field

router = Router(tags=["configuration"])


@router.get("/custom-fields", response=list[FieldOut], summary="Custom fields")
def list_fields(
    request: HttpRequest,
    kind: Query[Literal["lead", "account", "contact", "opportunity"] | None] = None,
) -> list[FieldOut]:
    fields = CustomField.objects.select_related("maps_to").prefetch_related("values")
    if kind is not None:
        fields = fields.filter(kind=kind)
    return [FieldOut.of(field) for field in fields]


def _field(field_id: int) -> CustomField:
    found = (
        CustomField.objects.select_related("maps_to")
        .prefetch_related("values")
        .filter(pk=field_id)
        .first()
    )
    if found is None:
        raise Http404("No such custom field.")
    return found


@router.post("/custom-fields", response={201: FieldOut}, summary="Define a custom field")
def post_field(request: HttpRequest, payload: FieldCreate) -> Status[FieldOut]:
    field = define_field(actor(request), payload)
    return Status(201, FieldOut.of(_field(field.pk)))


@router.get("/custom-fields/{int:field_id}", response=FieldOut, summary="One custom field")
def get_field(request: HttpRequest, field_id: int) -> FieldOut:
    return FieldOut.of(_field(field_id))


@router.patch(
    "/custom-fields/{int:field_id}",
    response=FieldOut,
    summary="Change a custom field (label, help, required, values, conversion mapping)",
)
def patch_field(request: HttpRequest, field_id: int, payload: FieldChanges) -> FieldOut:
    change_field(actor(request), _field(field_id), payload)
    return FieldOut.of(_field(field_id))
