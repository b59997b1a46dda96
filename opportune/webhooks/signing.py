"""Webhook signatures: ``Opportune-Signature: t=<unix time>,v1=<hex HMAC-SHA256>``, the MAC
taken with the subscription's secret over ``<t>.<raw body>`` (as Stripe signs). A receiver
recomputes it, compares in constant time and refuses a timestamp too far from its clock,
so a captured delivery cannot be replayed later. docs/webhooks.md has a receiver."""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "Opportune-Signature"
EVENT_HEADER = "Opportune-Event"
DELIVERY_HEADER = "Opportune-Delivery"
TOLERANCE_SECONDS = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def verify(
    secret: str, header: str, body: bytes, now: int, tolerance: int = TOLERANCE_SECONDS
) -> bool:
    """Whether ``header`` signs ``body`` with ``secret`` at a time within ``tolerance``
    seconds of ``now`` (unix time)."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body)
    return hmac.compare_digest(expected, parts.get("v1", ""))
