"""Issuing and revoking API tokens: the API, the web page and the CLI call these."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from opportune.errors import Conflict, field_error

from . import policy
from .models import ApiToken, TokenScope, User


def issue_token(
    user: User,
    name: str,
    scope: str = TokenScope.WRITE,
    expires_at: dt.datetime | None = None,
    acting_scope: str | None = None,
) -> tuple[ApiToken, str]:
    """A new token for ``user`` and its raw value, which is shown this once and never stored.
    ``acting_scope``: the scope of the token the request came with (None in person)."""
    if scope not in TokenScope.values:
        raise field_error("scope", f"Choose one of: {', '.join(TokenScope.values)}.")
    if expires_at is not None and expires_at <= timezone.now():
        raise field_error("expires_at", "The expiry must be in the future.")
    policy.require_token_scope(user, scope, acting_scope)
    return ApiToken.issue(user, name, scope, expires_at)


def revoke_token(token: ApiToken) -> ApiToken:
    """Revoke a token found through ``policy.visible_tokens``; it stops working at once."""
    if token.revoked:
        raise Conflict("This token is already revoked.")
    token.revoked = True
    token.save(update_fields=["revoked"])
    return token
