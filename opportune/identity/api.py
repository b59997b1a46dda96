"""Who am I, the users and teams one may assign records to (read-only), and API tokens."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Query, Router, Status
from pydantic import Field

from opportune.identity.auth import actor, token_scope
from opportune.paging import ListParams, Page, keyset_page
from opportune.schemas import InputSchema, OutputSchema

from . import policy
from .models import Team, TokenScope, User
from .tokens import issue_token, revoke_token

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


class TokenOut(OutputSchema):
    id: int
    user_id: int
    name: str
    prefix: str = Field(description="The token's first characters, to recognise it by")
    scope: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    last_used_at: dt.datetime | None
    last_used_ip: str | None


class TokenIssuedOut(TokenOut):
    token: str = Field(description="The token itself: shown this once, never again")


class TokenIn(InputSchema):
    name: str = Field("", max_length=100)
    scope: TokenScope = TokenScope.WRITE
    expires_at: dt.datetime | None = Field(None, description="Refused from then on; none: never")


@router.get("/tokens", response=Page[TokenOut], summary="API tokens: one's own (admins: all)")
def list_tokens(request: HttpRequest, params: Query[ListParams]) -> dict[str, Any]:
    tokens = policy.visible_tokens(actor(request), token_scope(request)).filter(revoked=False)
    return keyset_page(tokens, params.limit, params.cursor)


@router.post("/tokens", response={201: TokenIssuedOut}, summary="Issue an API token for oneself")
def create_token(request: HttpRequest, payload: TokenIn) -> Status[dict[str, Any]]:
    token, raw = issue_token(
        actor(request), payload.name, payload.scope, payload.expires_at, token_scope(request)
    )
    return Status(201, {**TokenOut.model_validate(token).model_dump(), "token": raw})


@router.delete("/tokens/{token_id}", response={204: None}, summary="Revoke an API token")
def delete_token(request: HttpRequest, token_id: int) -> Status[None]:
    tokens = policy.visible_tokens(actor(request), token_scope(request)).filter(revoked=False)
    token = tokens.filter(pk=token_id).first()
    if token is None:
        raise Http404("No such token.")
    revoke_token(token)
    return Status(204, None)
