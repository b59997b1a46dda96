"""A session that expired while a page was open: its next htmx request must take the whole
page to the login form, not swap the login form into the fragment it asked for."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django_htmx.http import HttpResponseClientRedirect


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
