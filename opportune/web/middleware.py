"""Request-wide answers: an expired session's htmx request goes to the login page, a
refusal by the access policy is a 403 page, and every response carries the CSP."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.views.defaults import permission_denied
from django_htmx.http import HttpResponseClientRedirect

from opportune.errors import NotAllowed


def htmx_login_redirect(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        htmx = getattr(request, "htmx", None)
        if (
            htmx
            and response.status_code == 302
            and response["Location"].startswith(str(settings.LOGIN_URL))
        ):
            # Back to the page the user was on after logging in, not to the fragment.
            page = htmx.current_url_abs_path or "/"
            return HttpResponseClientRedirect(f"{settings.LOGIN_URL}?{urlencode({'next': page})}")
        return response

    return middleware


class RefusalsAsForbidden:
    """A service's ``NotAllowed`` that no view caught is the policy's 403 (PRODUCT.md section 8),
    shown with its reason on the same page every other refusal uses."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, NotAllowed):
            return permission_denied(request, PermissionDenied(exception.detail))
        return None


def content_security_policy(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """Every response carries ``settings.CONTENT_SECURITY_POLICY`` (unless a view set its own)."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        return response

    return middleware
