"""/search/: the results page (no JavaScript needed) and, for htmx, the top bar's dropdown."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse

from opportune.web.http import AuthedRequest, render_page

from . import engine
from .terms import MAX_LENGTH

DROPDOWN_LIMIT = 5
PAGE_LIMIT = 20
TOO_LONG = f"Search for at most {MAX_LENGTH} characters."


@login_required
def results(request: AuthedRequest) -> HttpResponse:
    q = request.GET.get("q", "").replace("\x00", "").strip()
    error = TOO_LONG if len(q) > MAX_LENGTH else ""
    dropdown = bool(request.htmx) and request.GET.get("dropdown") == "1"
    found = (
        engine.search(request.user, q, limit=DROPDOWN_LIMIT if dropdown else PAGE_LIMIT)
        if q and not error
        else None
    )
    context = {"q": q, "results": found, "error": error}
    return render_page(
        request,
        "search/results.html",
        context,
        fragment="dropdown" if dropdown else "results",
    )
