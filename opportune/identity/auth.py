"""Bearer-token authentication for the API."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

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
        if found is None:
            return None
        now = timezone.now()
        last = found.last_used_at
        if last is None or (now - last).total_seconds() > LAST_USED_RESOLUTION_SECONDS:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        request.user = found.user
        return found.user


def actor(request: HttpRequest) -> User:
    """The authenticated user of an API request."""
    user: User = request.auth  # type: ignore[attr-defined]
    return user
