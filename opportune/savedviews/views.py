"""Saved view pages: save the list as shown, update, share, make default, delete. Each
calls ``services.py``; refusals come back as form errors or the 403 page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from opportune.errors import DomainError, NotAllowed
from opportune.identity import policy
from opportune.web.formviews import form_page, submitted
from opportune.web.http import AuthedRequest, go_to, safe_next

from .forms import NewViewForm, ViewForm
from .models import DefaultView, SavedView
from .registry import LISTS
from .schemas import ViewChanges, ViewCreate
from .services import NOT_YOURS, delete_view, save_view, set_default

FORM = "savedviews/view_form.html"


def _visible(request: AuthedRequest, pk: int) -> SavedView:
    found = SavedView.objects.visible_to(request.user).filter(pk=pk).first()
    if found is None:
        raise Http404("No such view.")
    return found


def _changeable(request: AuthedRequest, pk: int) -> SavedView:
    view = _visible(request, pk)
    if not policy.may_change_view(request.user, view):
        raise NotAllowed(NOT_YOURS)
    return view


@login_required
def view_create(request: AuthedRequest) -> HttpResponse:
    """ "Save as...": the list's query string, page size and the name typed in the menu."""
    form = NewViewForm(request.POST or None, user=request.user, initial=request.GET.dict())
    view = submitted(request, form, ViewCreate, lambda valid: save_view(request.user, valid))
    if view is not None:
        messages.success(request, f"View “{view.name}” saved.")
        return go_to(request, view.url())
    kind = str(form["kind"].value() or "")
    return form_page(request, FORM, form, {"view": None, "list": LISTS.get(kind)})


@login_required
def view_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    """Rename or share a view (its filters are updated from the list: "Update view")."""
    view = _changeable(request, pk)
    initial = {
        "name": view.name,
        "team": view.team_id,
        "query": view.query,
        "page_size": view.page_size,
    }
    form = ViewForm(request.POST or None, user=request.user, initial=initial)
    saved = submitted(
        request, form, ViewChanges, lambda valid: save_view(request.user, valid, view)
    )
    if saved is not None:
        messages.success(request, f"View “{saved.name}” saved.")
        return go_to(request, saved.url())
    return form_page(request, FORM, form, {"view": view, "list": LISTS[view.kind]})


@login_required
@require_POST
def view_update(request: AuthedRequest, pk: int) -> HttpResponse:
    """ "Update view": store the list's current filters, sort, columns and page size."""
    view = _changeable(request, pk)
    try:
        changes = ViewChanges.model_validate(
            {
                "query": request.POST.get("query", ""),
                "page_size": int(request.POST.get("page_size") or 50),
            }
        )
        save_view(request.user, changes, view)
    except (DomainError, ValueError) as error:
        messages.error(request, getattr(error, "detail", "This view cannot hold these filters."))
        return redirect(reverse(LISTS[view.kind].url_name) + "?" + request.POST.get("query", ""))
    messages.success(request, f"View “{view.name}” updated.")
    return go_to(request, view.url())


@login_required
@require_POST
def view_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    view = _changeable(request, pk)
    delete_view(request.user, view)
    messages.success(request, f"View “{view.name}” deleted.")
    return go_to(request, reverse(LISTS[view.kind].url_name) + "?view=")


@login_required
@require_POST
def view_default(request: AuthedRequest, pk: int) -> HttpResponse:
    """Make the view the list's default for the user, or stop (when it already is)."""
    view = _visible(request, pk)
    is_default = DefaultView.objects.filter(user=request.user, kind=view.kind, view=view).exists()
    set_default(request.user, view.kind, None if is_default else view)
    word = "no longer opens" if is_default else "now opens"
    messages.success(request, f"{LISTS[view.kind].label} {word} with “{view.name}”.")
    return go_to(request, view.url())


MAX_LISTED_REFUSALS = 10


def bulk_response(request: AuthedRequest, kind: str) -> HttpResponse:
    """Apply a list's bulk action (all or nothing) and go back to the list as it was."""
    from .bulk import BulkChange, BulkRefused, apply_bulk
    from .forms import BulkForm

    record_list = LISTS[kind]
    form = BulkForm(request.POST, kind=kind)
    back = safe_next(request, reverse(record_list.url_name), "return_to")
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect(back)
    data = form.cleaned_data
    action = "owner" if data["action"] == "assign" else data["action"]
    change = BulkChange(
        action=action,
        owner_id=data.get("owner"),
        status=data.get("status") or "",
        reason=data.get("reason") or "",
        stage=data.get("stage") or "",
    )
    try:
        done = apply_bulk(request.user, kind, data["ids"], change)
    except BulkRefused as refused:
        count = len(refused.refusals)
        messages.error(
            request,
            f"Nothing was changed: {count} of the {len(set(data['ids']))} selected "
            f"{record_list.label.lower()} {'was' if count == 1 else 'were'} refused.",
        )
        for refusal in refused.refusals[:MAX_LISTED_REFUSALS]:
            messages.error(request, f"{refusal.label}: {refusal.reason}")
        if count > MAX_LISTED_REFUSALS:
            messages.error(request, f"... and {count - MAX_LISTED_REFUSALS} more.")
        return redirect(back)
    verb = "Deleted" if action == "delete" else "Updated"
    noun = record_list.label.lower() if done != 1 else record_list.record_kind
    messages.success(request, f"{verb} {done} {noun}.")
    return redirect(back)


@login_required
@require_POST
def bulk(request: AuthedRequest, kind: str) -> HttpResponse:
    if kind not in LISTS:
        raise Http404("No such list.")
    return bulk_response(request, kind)


def list_actions(
    request: AuthedRequest, kind: str, owners: list[tuple[int, str]] | None = None
) -> dict[str, object]:
    """A list's bulk bar (for users who write) and the URL it comes back to; built once per
    request (``list_context`` builds it with the owners its filter bar already read, so the
    page reads the possible owners once)."""
    from .forms import BulkForm

    built: dict[str, object] | None = getattr(request, "_list_actions", None)
    if built is None:
        built = {
            "bulk": BulkForm(kind=kind, owners=owners) if policy.may_write(request.user) else None,
            "bulk_url": reverse(
                "leads:bulk" if kind == "leads" else "savedviews:bulk",
                kwargs={} if kind == "leads" else {"kind": kind},
            ),
            "return_to": request.get_full_path(),
        }
        request._list_actions = built  # type: ignore[attr-defined]
    return built
