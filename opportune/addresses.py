"""Where a request comes from, read one way by every limit and log: the web-to-lead rate
limit, the login lockout and the API tokens' last address."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_ipv46_address
from django.http import HttpRequest


def peer_address(request: HttpRequest) -> str:
    """The socket peer, or behind the ``OPPORTUNE_TRUSTED_PROXIES`` reverse proxies, the
    address the outermost of them saw (at most 64 characters; "unknown" if none).

    Each proxy appends the address it received from to X-Forwarded-For, so only the last
    that many entries are trustworthy; anything before them a bot could write freely."""
    proxies = settings.OPPORTUNE_TRUSTED_PROXIES
    header: str = request.META.get("HTTP_X_FORWARDED_FOR", "")
    forwarded = [a.strip() for a in header.split(",")]
    if proxies and len(forwarded) >= proxies and forwarded[-proxies]:
        return forwarded[-proxies][:64]
    return str(request.META.get("REMOTE_ADDR") or "unknown")[:64]


def client_ip(request: HttpRequest) -> str | None:
    """``peer_address`` if it is an IP address, else None (no peer, a garbled
    X-Forwarded-For): it goes into IP address columns, which PostgreSQL checks."""
    address = peer_address(request)
    try:
        validate_ipv46_address(address)
    except ValidationError:
        return None
    return address
