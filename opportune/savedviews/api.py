"""/api/v1/views: saved list views, the user's own and those shared with their teams.

A view another user may not see is a 404; one they see but did not create is a 403 for
PATCH and DELETE (only its creator or an admin changes it)."""

from __future__ import annotations

from django.http import Http404, HttpRequest
from ninja import Query, Router, Status

from opportune.identity.auth import actor

from .models import SavedView
from .registry import ListName
from .schemas import ViewChanges, ViewCreate, ViewOut
from .services import delete_view, save_view

router = Router(tags=["views"])


def _view(request: HttpRequest, view_id: int) -> SavedView:
    found = SavedView.objects.visible_to(actor(request)).filter(pk=view_id).first()
    if found is None:
        raise Http404("No such view.")
    return found


@router.get("/views", response=list[ViewOut], summary="Saved views you may pick")
def list_views(request: HttpRequest, kind: Query[ListName | None] = None) -> list[SavedView]:
    views = SavedView.objects.visible_to(actor(request))
    if kind is not None:
        views = views.filter(kind=kind)
    return list(views)


@router.post("/views", response={201: ViewOut}, summary="Save a view of a list")
def post_view(request: HttpRequest, payload: ViewCreate) -> Status[SavedView]:
    return Status(201, save_view(actor(request), payload))


@router.get("/views/{int:view_id}", response=ViewOut, summary="One saved view")
def get_view(request: HttpRequest, view_id: int) -> SavedView:
    return _view(request, view_id)


@router.patch("/views/{int:view_id}", response=ViewOut, summary="Change a saved view")
def patch_view(request: HttpRequest, view_id: int, payload: ViewChanges) -> SavedView:
    return save_view(actor(request), payload, _view(request, view_id))


@router.delete("/views/{int:view_id}", response={204: None}, summary="Delete a saved view")
def remove_view(request: HttpRequest, view_id: int) -> Status[None]:
    delete_view(actor(request), _view(request, view_id))
    return Status(204, None)
