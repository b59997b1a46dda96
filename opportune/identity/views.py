"""The user's own API tokens page: list, issue (the token shown once), revoke."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_POST

from opportune.errors import DomainError
from opportune.web.http import AuthedRequest, render_page

from . import policy
from .models import ApiToken, TokenScope, User
from .tokens import issue_token, revoke_token

TEMPLATE = "identity/tokens.html"


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, required=False, help_text="What it is for.")
    scope = forms.ChoiceField(choices=TokenScope.choices, initial=TokenScope.WRITE)
    expires_in_days = forms.IntegerField(
        min_value=1, max_value=3650, required=False, help_text="Empty: never expires."
    )

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not policy.manages_all_tokens(user):
            scope = self.fields["scope"]
            assert isinstance(scope, forms.ChoiceField)
            scope.choices = [c for c in TokenScope.choices if c[0] != TokenScope.ADMIN]


def _page(
    request: AuthedRequest, form: TokenForm | None = None, issued: str = "", status: int = 200
) -> HttpResponse:
    context = {
        "form": form or TokenForm(request.user),
        "tokens": ApiToken.objects.filter(user=request.user, revoked=False).order_by("-pk"),
        "issued": issued,
        "now": timezone.now(),
    }
    return render_page(request, TEMPLATE, context, fragment="tokens", status=status)


@login_required
def tokens_page(request: AuthedRequest) -> HttpResponse:
    return _page(request)


@login_required
@require_POST
def issue(request: AuthedRequest) -> HttpResponse:
    form = TokenForm(request.user, request.POST)
    if not form.is_valid():
        return _page(request, form, status=422)
    days = form.cleaned_data["expires_in_days"]
    expires_at = timezone.now() + dt.timedelta(days=days) if days else None
    try:
        _, raw = issue_token(
            request.user, form.cleaned_data["name"], form.cleaned_data["scope"], expires_at
        )
    except DomainError as refused:
        form.add_error(None, refused.detail)
        return _page(request, form, status=422)
    return _page(request, issued=raw)


@login_required
@require_POST
def revoke(request: AuthedRequest, pk: int) -> HttpResponse:
    token = policy.visible_tokens(request.user).filter(pk=pk, revoked=False).first()
    if token is None:
        raise Http404("No such token.")
    revoke_token(token)
    return _page(request)
