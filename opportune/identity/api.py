"""Who am I, and the users and teams one may assign records to (read-only)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from opportune.identity.auth import actor
from opportune.paging import ListParams, Page, keyset_page
from opportune.schemas import OutputSchema

from .models import Team, User

router = Router(tags=["users and teams"])


class TeamOut(OutputSchema):
    id: int
    name: str
    parent_id: int | None
    manager_id: int | None


class UserOut(OutputSchema):
    id: int
    username: str
    first_name: str
    last_name: str
    email: str
    role: str
    team_id: int | None
    is_active: bool


class MeOut(UserOut):
    team: TeamOut | None


@router.get("/me", response=MeOut, summary="The authenticated user")
def me(request: HttpRequest) -> User:
    return User.objects.select_related("team").get(pk=actor(request).pk)


@router.get("/users", response=Page[UserOut], summary="Users (read-only)")
def list_users(request: HttpRequest, params: Query[ListParams]) -> dict[str, Any]:
    return keyset_page(User.objects.all(), params.limit, params.cursor)


@router.get("/teams", response=Page[TeamOut], summary="Teams (read-only)")
def list_teams(request: HttpRequest, params: Query[ListParams]) -> dict[str, Any]:
    return keyset_page(Team.objects.all(), params.limit, params.cursor)
