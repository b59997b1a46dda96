"""Outgoing webhook requests, with urllib, guarded against server-side request forgery.

A subscription's URL is chosen by an admin, but the request leaves from inside the network:
unless ``OPPORTUNE_WEBHOOKS_ALLOW_PRIVATE`` is on, a host that resolves to a private,
loopback, link-local or otherwise non-public address is refused. The check is made on the
addresses the connection actually uses (not on an earlier lookup a DNS answer could change),
proxies from the environment are ignored, and redirects are never followed: a 3xx is a
failed delivery, so a public endpoint cannot bounce the request to an internal one.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

RESPONSE_KEPT = 2000  # characters of the receiver's answer kept in the delivery log


class RefusedAddress(OSError):
    """The webhook's host resolves to an address webhooks may not reach."""


def allows_private() -> bool:
    return bool(getattr(settings, "OPPORTUNE_WEBHOOKS_ALLOW_PRIVATE", False))


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_host(host: str, port: int) -> list[Any]:
    """The host's addresses, or ``RefusedAddress`` if any is not public (unless allowed)."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:  # unknown host, a label too long to encode...
        raise RefusedAddress(f"The host {host} does not resolve.") from exc
    if not allows_private():
        for *_, sockaddr in found:
            if not is_public(str(sockaddr[0])):
                raise RefusedAddress(
                    f"{host} resolves to {sockaddr[0]}, a private or reserved address; "
                    "webhooks reach public addresses only (OPPORTUNE_WEBHOOKS_ALLOW_PRIVATE)."
                )
    return found


def _guarded_connection(
    address: tuple[str, int], timeout: Any = None, source_address: Any = None, **_: Any
) -> socket.socket:
    """``socket.create_connection``, connecting only to addresses ``check_host`` passed."""
    host, port = address
    error: OSError | None = None
    for family, kind, proto, _, sockaddr in check_host(host, port):
        sock = socket.socket(family, kind, proto)
        try:
            if timeout is not None:
                sock.settimeout(timeout)
            sock.connect(sockaddr)
            return sock
        except OSError as exc:
            sock.close()
            error = exc
    raise error or OSError(f"Could not connect to {host}.")


class _HTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = _guarded_connection  # the hook http.client connects with


class _HTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = _guarded_connection


class _HTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_HTTPConnection, req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_HTTPSConnection, req, context=getattr(self, "_context", None))


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # urllib then raises the 3xx as an HTTPError


_opener = urllib.request.build_opener(
    urllib.request.ProxyHandler({}), _NoRedirects, _HTTPHandler, _HTTPSHandler
)


def check_url(url: str) -> str | None:
    """Why webhooks may not be sent to ``url``; None if they may."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port  # a bad port or IPv6 literal: ValueError
    except ValueError:
        return "This is not a valid URL."
    if parts.scheme not in ("http", "https") or not host:
        return "Give an http:// or https:// URL."
    if parts.username or parts.password:
        return "Put no user name or password in the URL; the signature authenticates."
    try:
        check_host(host, port or (443 if parts.scheme == "https" else 80))
    except RefusedAddress as refused:
        return str(refused)
    return None


@dataclass
class Answer:
    status: int | None
    body: str
    error: str
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> Answer:
    """POST ``body``; the receiver's answer, or the reason none came."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    started = time.monotonic()
    status: int | None = None
    text = error = ""
    try:
        with _opener.open(request, timeout=timeout) as response:
            status = response.status
            text = response.read(RESPONSE_KEPT).decode("utf-8", "replace")
    except urllib.error.HTTPError as answered:
        status = answered.code
        text = answered.read(RESPONSE_KEPT).decode("utf-8", "replace")
        if 300 <= answered.code < 400:
            error = f"Redirected to {answered.headers.get('Location', '?')}; not followed."
        else:
            error = f"The receiver answered {answered.code}."
    except urllib.error.URLError as failed:
        error = str(failed.reason)
    except (OSError, http.client.HTTPException, ValueError) as failed:
        error = str(failed) or type(failed).__name__
    duration = int((time.monotonic() - started) * 1000)
    return Answer(status, text, error[:500], duration)
