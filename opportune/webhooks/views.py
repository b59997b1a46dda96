"""Settings > Webhooks: subscriptions (the secret shown once), a subscription's delivery log
with redelivery, switching it off and on, and unsubscribing. Admins only."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.http import require_POST
from pydantic import ValidationError

from opportune.errors import DomainError
from opportune.schemas import field_errors
from opportune.web.http import AuthedRequest, go_to, render_page
from opportune.web.pagination import keyset_page

from .delivery import redeliver
from .forms import SubscriptionForm
from .models import Delivery, Subscription
from .schemas import SubscriptionChanges, SubscriptionIn
from .services import (
    change_subscription,
    create_subscription,
    delete_subscription,
    require_admin,
)


def _list(
    request: AuthedRequest,
    form: SubscriptionForm | None = None,
    created: Subscription | None = None,
    status: int = 200,
) -> HttpResponse:
    context: dict[str, Any] = {
        "subscriptions": Subscription.objects.order_by("-pk"),
        "form": form or SubscriptionForm(),
        "created": created,
    }
    return render_page(request, "webhooks/list.html", context, status=status)


@login_required
def subscriptions(request: AuthedRequest) -> HttpResponse:
    """GET: the list and the form; POST: subscribe, then show the secret this once."""
    require_admin(request.user)
    if request.method != "POST":
        return _list(request)
    form = SubscriptionForm(request.POST)
    if not form.is_valid():
        return _list(request, form, status=422)
    try:
        data = SubscriptionIn(**form.cleaned_data)
        created = create_subscription(request.user, data)
    except ValidationError as invalid:
        for field, errors in field_errors(invalid.errors()).items():
            form.add_error(field if field in form.fields else None, errors)
        return _list(request, form, status=422)
    except DomainError as refused:
        if not refused.errors:
            form.add_error(None, refused.detail)
        for field, errors in refused.errors.items():
            form.add_error(field if field in form.fields else None, errors)
        return _list(request, form, status=422)
    return _list(request, created=created)


@login_required
def subscription(request: AuthedRequest, pk: int) -> HttpResponse:
    require_admin(request.user)
    found = get_object_or_404(Subscription, pk=pk)
    rows = Delivery.objects.filter(subscription=found).select_related("event")
    page = keyset_page(rows, "-pk", request.GET.get("cursor"))
    context = {"subscription": found, "page": page}
    return render_page(request, "webhooks/detail.html", context, fragment="log")


@login_required
@require_POST
def toggle(request: AuthedRequest, pk: int) -> HttpResponse:
    require_admin(request.user)
    found = get_object_or_404(Subscription, pk=pk)
    change_subscription(request.user, found, SubscriptionChanges(is_active=not found.is_active))
    messages.success(request, f"{found.url} is {'on' if found.is_active else 'off'}.")
    return go_to(request, reverse("webhooks:detail", args=[pk]))


@login_required
@require_POST
def delete(request: AuthedRequest, pk: int) -> HttpResponse:
    require_admin(request.user)
    found = get_object_or_404(Subscription, pk=pk)
    delete_subscription(request.user, found)
    messages.success(request, f"Unsubscribed {found.url}.")
    return go_to(request, reverse("webhooks:list"))


@login_required
@require_POST
def redeliver_one(request: AuthedRequest, pk: int) -> HttpResponse:
    require_admin(request.user)
    delivery = get_object_or_404(Delivery.objects.select_related("event"), pk=pk)
    redeliver(delivery)
    messages.success(request, f"{delivery.event.event_type} queued again.")
    return go_to(request, reverse("webhooks:detail", args=[delivery.subscription_id]))
