"""Bearer-token authentication for the API: revoked and expired tokens are refused (401), and
a token's scope is enforced here, by HTTP method, for every endpoint (403)."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from opportune.addresses import client_ip
from opportune.errors import NotAllowed

from . import policy
from .models import ApiToken, User, hash_token

# last_used_at is refreshed at most this often, so reads do not all turn into writes.
LAST_USED_RESOLUTION_SECONDS = 300


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        found = (
            ApiToken.objects.select_related("user")
            .filter(key_hash=hash_token(token), revoked=False, user__is_active=True)
            .first()
        )
        now = timezone.now()
        if found is None or found.has_expired(now):
            return None
        refusal = policy.scope_refusal(found.scope, request.method or "GET")
        if refusal is not None:
            raise NotAllowed(refusal)
        _record_use(request, found, now)
        request.api_token = found  # type: ignore[attr-defined]
        request.user = found.user
        return found.user


def _record_use(request: HttpRequest, token: ApiToken, now: dt.datetime) -> None:
    address = client_ip(request)
    last = token.last_used_at
    stale = last is None or (now - last).total_seconds() > LAST_USED_RESOLUTION_SECONDS
    if stale or address != token.last_used_ip:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now, last_used_ip=address)


def actor(request: HttpRequest) -> User:
    """The authenticated user of an API request."""
    user: User = request.auth  # type: ignore[attr-defined]
    return user


def token_scope(request: HttpRequest) -> str | None:
    """The scope of the token an API request came with (None for a request without one)."""
    token: ApiToken | None = getattr(request, "api_token", None)
    return token.scope if token else None
