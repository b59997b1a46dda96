"""/api/v1: duplicates and merges of leads, assignment-rule tests, public web-to-lead posts."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from ninja import Router, Status

from opportune.addresses import peer_address
from opportune.errors import NotAllowed, RuleViolation
from opportune.identity import policy
from opportune.identity.auth import actor
from opportune.leads.models import Lead

from .merge import merge_leads, undo_merge
from .models import LeadMerge, WebForm
from .schemas import (
    AssignmentPreviewOut,
    AssignmentProbe,
    DuplicateOut,
    MergeOut,
    MergeRequest,
    duplicates_out,
)
from .services import preview_assignment
from .web_forms import MAX_BODY_BYTES, PayloadTooLarge, submit_web_form

router = Router(tags=["duplicates and assignment"])
public_router = Router(tags=["web-to-lead"], auth=None)


def _merge_out(merge: LeadMerge) -> MergeOut:
    return MergeOut(
        id=merge.pk,
        master_id=merge.master_id,
        merged_ids=merge.merged_ids,
        merged_at=merge.merged_at,
        undone_at=merge.undone_at,
    )


@router.get(
    "/leads/{int:lead_id}/duplicates",
    response=list[DuplicateOut],
    summary="Possible duplicates of a lead (same email, phone, or similar name and company)",
)
def get_duplicates(request: HttpRequest, lead_id: int) -> list[DuplicateOut]:
    user = actor(request)
    lead = policy.get_visible(user, Lead.objects.all(), lead_id)
    return duplicates_out(user, lead)


@router.post("/leads/merge", response={201: MergeOut}, summary="Merge 2-5 leads into a master")
def post_merge(request: HttpRequest, payload: MergeRequest) -> Status[MergeOut]:
    merge = merge_leads(actor(request), payload.master_id, payload.lead_ids, payload.fields)
    return Status(201, _merge_out(merge))


@router.post("/merges/{int:merge_id}/undo", response=MergeOut, summary="Undo a lead merge")
def post_undo(request: HttpRequest, merge_id: int) -> MergeOut:
    return _merge_out(undo_merge(actor(request), merge_id))


@router.post(
    "/assignment-rules/test",
    response=AssignmentPreviewOut,
    summary="Which rule would assign this lead, and to whom (takes no round-robin turn)",
)
def post_assignment_test(request: HttpRequest, payload: AssignmentProbe) -> AssignmentPreviewOut:
    user = actor(request)
    if not policy.may_configure(user, "assignmentrule_test"):
        raise NotAllowed("Only admins, sales managers and marketing may test assignment rules.")
    probe: object = SimpleNamespace(**payload.model_dump(exclude={"lead_id"}))
    if payload.lead_id is not None:
        probe = policy.get_visible(user, Lead.objects.all(), payload.lead_id)
    preview = preview_assignment(probe)
    return AssignmentPreviewOut(
        rule_id=preview.rule.pk if preview.rule else None,
        rule_name=preview.rule.name if preview.rule else None,
        owner_id=preview.owner.pk if preview.owner else None,
        owner=str(preview.owner) if preview.owner else None,
    )


def _posted_fields(request: HttpRequest) -> tuple[dict[str, str], bool]:
    """The submitted fields, and whether they came as JSON (else as an HTML form post)."""
    if request.content_type == "application/json":
        try:
            body = json.loads(request.body or b"{}")
        except ValueError as exc:
            raise RuleViolation("The body is not valid JSON.") from exc
        if not isinstance(body, dict):
            raise RuleViolation("Send a JSON object of field names and values.")
        return {str(k): "" if v is None else str(v) for k, v in body.items()}, True
    return {k: request.POST.get(k, "") for k in request.POST}, False


@public_router.post(
    "/web-to-lead/{form_key}",
    response={201: dict, 200: dict, 303: None},
    summary="Public form post (no auth): creates a lead, or updates the open lead of the email",
)
def post_web_to_lead(request: HttpRequest, form_key: str) -> HttpResponse | Status[dict[str, Any]]:
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    if length > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"The body may hold at most {MAX_BODY_BYTES} bytes.")
    form = get_object_or_404(WebForm, key=form_key, is_active=True)
    data, as_json = _posted_fields(request)
    submission = submit_web_form(form, data, peer_address(request))
    if not as_json and form.redirect_url:
        return HttpResponseRedirect(form.redirect_url, status=303)
    if submission.ignored:
        return Status(201, {"status": "received"})
    return Status(201 if submission.created else 200, {"status": "received"})
