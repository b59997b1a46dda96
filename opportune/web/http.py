"""What every web view shares: the typed request, visibility lookups, page-or-fragment rendering."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.http import HttpResponseClientRedirect

from opportune.identity import policy

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from opportune.identity.models import User

M = TypeVar("M", bound=Model)


class AuthedRequest(HttpRequest):
    """The request every view behind ``login_required`` receives."""

    user: User
    htmx: HtmxDetails


def visible_or_404(
    queryset: QuerySet[M], user: User, pk: int, verb: policy.Verb | None = None
) -> M:
    """The record if the user may see it (anything else is a 404, for every verb) and, when
    a ``verb`` is given, may do that to it (else the policy's 403 page, for GET too: a form
    the user could not submit is not offered)."""
    record = policy.get_visible(user, queryset, pk)
    if verb is not None:
        policy.require(user, verb, record)
    return record


def wants_fragment(request: AuthedRequest) -> bool:
    """An htmx request that swaps part of a page (not a boosted or history-restore request)."""
    return (
        bool(request.htmx) and not request.htmx.boosted and not request.htmx.history_restore_request
    )


def render_page(
    request: AuthedRequest,
    template: str,
    context: dict[str, Any],
    fragment: str | None = None,
    status: int = 200,
) -> HttpResponse:
    """One view, two answers: the whole page, or the named partial of the same template."""
    name = f"{template}#{fragment}" if fragment and wants_fragment(request) else template
    return render(request, name, context, status=status)


def go_to(request: AuthedRequest, url: str) -> HttpResponse:
    """Redirect the browser, whether the request came from a form or from htmx."""
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


def safe_next(request: HttpRequest, default: str, field: str = "next") -> str:
    """The page to go back to after a form: the posted (or queried) ``field`` if it is a path
    on this site, else ``default``. The one check for every ``next``/``return_to`` redirect.

    Only a local path is accepted: ``//evil.example`` and ``/\\evil.example`` start with a
    slash yet name another host (browsers read a backslash as a slash), so a ``startswith("/")``
    test lets them through; Django's host check refuses them, and the path-only rule refuses
    any absolute URL, even to this host, which a form never needs."""
    target = (request.POST.get(field) or request.GET.get(field) or "").strip()
    if (
        target.startswith("/")
        and not target.startswith(("//", "/\\"))
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return target
    return default
