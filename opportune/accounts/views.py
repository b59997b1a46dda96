"""Account and contact pages: lists, record pages with their deals, people, converted leads
and activity, and the create/edit forms (``save_account`` / ``save_contact``)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import reverse

from opportune.activities.views import timeline_context
from opportune.identity import policy
from opportune.identity.models import User
from opportune.leads.models import Lead
from opportune.opportunities.models import ContactRole, Opportunity
from opportune.savedviews.menu import default_view_redirect
from opportune.savedviews.views import list_actions
from opportune.web.formviews import form_page, submitted
from opportune.web.http import AuthedRequest, go_to, render_page, visible_or_404
from opportune.web.lists import list_context

from .filters import AccountFilterSet, ContactFilterSet
from .forms import AccountCreateForm, AccountForm, ContactCreateForm, ContactForm
from .models import Account, Contact
from .schemas import AccountChanges, ContactChanges
from .services import save_account, save_contact

PAGE_SIZE = 50
RELATED_LIMIT = 50
SHOWN_FILTERS = ("q", "owner")  # the filter bar's fields


@login_required
def account_list(request: AuthedRequest) -> HttpResponse:
    default = default_view_redirect(request.user, "accounts", request.GET)
    if default is not None:
        return default
    accounts = Account.objects.visible_to(request.user).select_related("owner")
    context, status = list_context(
        request,
        AccountFilterSet,
        accounts,
        shown=SHOWN_FILTERS,
        page_size=PAGE_SIZE,
        kind="accounts",
    )
    context.update(list_actions(request, "accounts"))
    return render_page(request, "accounts/account_list.html", context, "results", status)


@login_required
def account_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    account = visible_or_404(Account.objects.select_related("owner", "parent"), request.user, pk)
    user = request.user
    context: dict[str, Any] = {
        "account": account,
        "contacts": list(
            Contact.objects.visible_to(user)
            .filter(account=account)
            .select_related("owner")[:RELATED_LIMIT]
        ),
        "converted_leads": list(
            Lead.objects.visible_to(user).filter(converted_account=account)[:RELATED_LIMIT]
        ),
        "may_edit": policy.may(user, policy.Verb.CHANGE, account),
    }
    if policy.sees_kind(user, policy.OPPORTUNITY):
        context["opportunities"] = list(
            Opportunity.objects.visible_to(user)
            .filter(account=account)
            .select_related("stage", "owner")
            .order_by("is_closed", "close_date")[:RELATED_LIMIT]
        )
    context.update(timeline_context(user, account=account))
    return render_page(request, "accounts/account_detail.html", context)


def _account_initial(account: Account) -> dict[str, Any]:
    initial = {name: getattr(account, name) for name in AccountForm.base_fields if name != "owner"}
    initial["owner"] = account.owner_id
    initial["custom"] = account.custom
    return initial


@login_required
def account_edit(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    account = None
    if pk is not None:
        account = visible_or_404(Account.objects.all(), request.user, pk, policy.Verb.CHANGE)
        form: AccountForm = AccountForm(request.POST or None, initial=_account_initial(account))
    else:
        form = AccountCreateForm(request.POST or None, initial={"owner": request.user.pk})
    saved = submitted(
        request, form, AccountChanges, lambda valid: save_account(request.user, valid, account)
    )
    if saved is not None:
        messages.success(request, f"Account {saved.name} saved.")
        return go_to(request, reverse("accounts:detail", args=[saved.pk]))
    return form_page(request, "accounts/account_form.html", form, {"account": account}, "form")


@login_required
def contact_list(request: AuthedRequest) -> HttpResponse:
    default = default_view_redirect(request.user, "contacts", request.GET)
    if default is not None:
        return default
    contacts = Contact.objects.visible_to(request.user).select_related("owner", "account")
    context, status = list_context(
        request,
        ContactFilterSet,
        contacts,
        shown=SHOWN_FILTERS,
        page_size=PAGE_SIZE,
        kind="contacts",
    )
    context.update(list_actions(request, "contacts"))
    return render_page(request, "accounts/contact_list.html", context, "results", status)


@login_required
def contact_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    contact = visible_or_404(Contact.objects.select_related("owner", "account"), request.user, pk)
    user = request.user
    context: dict[str, Any] = {
        "contact": contact,
        "converted_leads": list(
            Lead.objects.visible_to(user).filter(converted_contact=contact)[:RELATED_LIMIT]
        ),
        "may_edit": policy.may(user, policy.Verb.CHANGE, contact),
    }
    if policy.sees_kind(user, policy.OPPORTUNITY):
        visible = Opportunity.objects.visible_to(user)
        context["roles"] = list(
            ContactRole.objects.filter(contact=contact, opportunity__in=visible).select_related(
                "opportunity", "opportunity__stage"
            )[:RELATED_LIMIT]
        )
    context.update(timeline_context(user, contact=contact))
    return render_page(request, "accounts/contact_detail.html", context)


def _account_choices(user: User, current: int | None) -> list[Account]:
    """Accounts a contact may be attached to: the user's own (first 200 by name) and the
    current one. A search-as-you-type picker would scale further."""
    accounts = Account.objects.visible_to(user)
    chosen = list(accounts.filter(pk=current)) if current else []
    own = accounts.filter(owner=user).exclude(pk=current or 0).order_by("normalized_name")[:200]
    return chosen + list(own)


@login_required
def contact_edit(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    contact = None
    if pk is not None:
        contact = visible_or_404(Contact.objects.all(), request.user, pk, policy.Verb.CHANGE)
        initial = {
            n: getattr(contact, n) for n in ContactForm.base_fields if n not in {"owner", "account"}
        }
        initial.update(owner=contact.owner_id, account=contact.account_id, custom=contact.custom)
        form_class: type[ContactForm] = ContactForm
    else:
        account_id = request.GET.get("account", "")
        initial = {
            "owner": request.user.pk,
            "account": int(account_id) if account_id.isdigit() else None,
        }
        form_class = ContactCreateForm
    current = str(request.POST.get("account") or initial.get("account") or "")
    accounts = _account_choices(request.user, int(current) if current.isdigit() else None)
    form = form_class(request.POST or None, initial=initial, accounts=accounts)
    saved = submitted(
        request, form, ContactChanges, lambda valid: save_contact(request.user, valid, contact)
    )
    if saved is not None:
        messages.success(request, f"Contact {saved} saved.")
        return go_to(request, reverse("accounts:contact", args=[saved.pk]))
    return form_page(request, "accounts/contact_form.html", form, {"contact": contact}, "form")
