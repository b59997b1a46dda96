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


def visible_or_404(queryset: QuerySet[M], user: User, pk: int) -> M:
    """The record if the user may see it; anything else is a 404, for every verb."""
    return policy.get_visible(user, queryset, pk)


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


def safe_next(request: AuthedRequest, default: str) -> str:
    """The page to go back to after a form: the posted ``next`` if it is on this site."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return target
    return default
