"""The recycle bin and field history endpoints: /api/v1/recycle-bin, and on every kind of
sales record ``DELETE /{id}``, ``POST /{id}/restore``, ``POST /{id}/purge`` and
``GET /{id}/changes``."""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from opportune.identity import policy
from opportune.identity.auth import actor
from opportune.paging import ListParams, Page, keyset_page
from opportune.schemas import OutputSchema

from . import bin
from .history import history_of, label_values

router = Router(tags=["recycle bin"])


class BinEntryOut(OutputSchema):
    kind: str
    id: int
    label: str
    owner_id: int | None
    deleted_at: dt.datetime
    deleted_by_id: int | None
    purge_at: dt.datetime


class FieldChangeOut(OutputSchema):
    id: int
    field: str
    label: str
    old_value: str
    new_value: str
    changed_by_id: int | None
    changed_at: dt.datetime


@router.get("/recycle-bin", response=Page[BinEntryOut], summary="What you may restore")
def list_bin(request: HttpRequest, params: Query[ListParams]) -> dict[str, Any]:
    return bin.bin_page(actor(request), params.limit, params.cursor)


def _signed(view: Callable[..., Any], name: str, *params: inspect.Parameter) -> Any:
    """The handler with the signature ninja reads: the request, then ``params``."""
    request = inspect.Parameter(
        "request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=HttpRequest
    )
    view.__signature__ = inspect.Signature([request, *params])  # type: ignore[attr-defined]
    view.__name__ = name
    return view


def add_record_routes(records: Router, kind: str, param: str, out: Any) -> None:
    """Delete, restore, purge and field history on one kind's router (``/{param}``). The
    handlers are shared; the path parameter is named after the kind (``lead_id``...) like
    the kind's other endpoints."""
    path = f"/{{int:{param}}}"
    record_id = inspect.Parameter(param, inspect.Parameter.KEYWORD_ONLY, annotation=int)
    paging = inspect.Parameter(
        "params", inspect.Parameter.KEYWORD_ONLY, annotation=Query[ListParams]
    )

    def delete(request: HttpRequest, **ids: int) -> Status[None]:
        user = actor(request)
        record = policy.get_visible(user, bin.model_of(kind).objects.all(), ids[param])
        bin.delete_record(user, record)
        return Status(204, None)

    def restore(request: HttpRequest, **ids: int) -> Any:
        return bin.restore_record(actor(request), kind, ids[param])

    def purge(request: HttpRequest, **ids: int) -> Status[None]:
        bin.purge_record(actor(request), kind, ids[param])
        return Status(204, None)

    def changes(request: HttpRequest, params: ListParams, **ids: int) -> dict[str, Any]:
        user = actor(request)
        record = policy.get_visible(user, bin.model_of(kind).objects.all(), ids[param])
        page = keyset_page(history_of(record), params.limit, params.cursor)
        label_values(kind, page["items"])
        return page

    records.delete(path, response={204: None}, summary=f"Send a {kind} to the recycle bin")(
        _signed(delete, f"delete_{kind}", record_id)
    )
    records.post(f"{path}/restore", response=out, summary=f"Restore a deleted {kind}")(
        _signed(restore, f"restore_{kind}", record_id)
    )
    records.post(f"{path}/purge", response={204: None}, summary=f"Purge a deleted {kind} now")(
        _signed(purge, f"purge_{kind}", record_id)
    )
    records.get(f"{path}/changes", response=Page[FieldChangeOut], summary=f"A {kind}'s history")(
        _signed(changes, f"changes_of_{kind}", paging, record_id)
    )
