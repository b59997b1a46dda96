"""What can happen to an opportunity: opening it, changing it, moving it through stages.

The stage rules of PRODUCT.md section 4 live here and nowhere else:
- the stage sets probability, forecast category, is_closed, is_won and closed_at;
- probability and forecast category may then be overridden while the opportunity is open;
- closing as lost needs a lost reason;
- closing moves the close date to the day it closed, unless the same change gives one, so
  a deal counts in the forecast period it really closed in (as HubSpot and Odoo do);
- creation writes the first history row, and each later change of stage, amount,
  probability, close date or forecast category appends one, and re-scores the deal's win
  probability (opportune.scoring).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from opportune.accounts.models import Account, Contact
from opportune.audit.batch import GONE, change_owners, locked, update_rows
from opportune.audit.models import FieldChange
from opportune.audit.services import (
    field_changes,
    record_changes,
    record_creation,
    snapshot,
    write_history,
)
from opportune.customfields.models import Kind
from opportune.customfields.services import apply_custom
from opportune.errors import Conflict, DomainError, NotAllowed, RuleViolation, field_error
from opportune.fiscal import fiscal_quarter_end
from opportune.identity import policy
from opportune.scoring.models import OpportunityScore
from opportune.scoring.opportunity import rescore, score_open

from .mapping import mapped_stage, stage_choices
from .models import (
    ContactRole,
    ForecastCategory,
    LostReason,
    Opportunity,
    OpportunityHistory,
    Pipeline,
    Stage,
)

if TYPE_CHECKING:
    from opportune.identity.models import User

# Fields change_opportunity sets as given; everything else goes through a rule.
_TEXT = {"type", "lead_source", "campaign", "next_step", "description"}
_PLAIN = {"name", "amount", "close_date", *_TEXT}
HISTORY_FIELDS = ("stage_id", "amount", "probability", "close_date", "forecast_category")
TRACKED_FIELDS = [
    f.attname
    for f in Opportunity._meta.concrete_fields
    if f.name
    not in {
        "id",
        "created_at",
        "updated_at",
        "expected_revenue",
        "stage_changed_at",
        "deleted_at",
        "deleted_by",
    }
]


@dataclass
class OpportunityDraft:
    """What opening an opportunity needs, already resolved to records."""

    name: str
    account: Account
    owner: User | None
    close_date: dt.date
    pipeline: Pipeline
    stage_key: str | None = None
    amount: Decimal | None = None
    probability: int | None = None
    forecast_category: str | None = None
    type: str = ""
    lead_source: str = ""
    campaign: str = ""
    next_step: str = ""
    description: str = ""
    primary_contact: Contact | None = None
    lost_reason_key: str | None = None
    custom: dict[str, Any] | None = None


def stage_in(pipeline: Pipeline, key: str | None) -> Stage:
    """The pipeline's stage with this key, or its first open stage when no key is given."""
    if key is None:
        return pipeline.first_open_stage()
    stage = pipeline.stages.filter(key=key, is_active=True).first()
    if stage is None:
        raise field_error("stage", f"No active stage '{key}' in the pipeline '{pipeline.key}'.")
    return stage


def pipeline_by_key(key: str) -> Pipeline:
    pipeline = Pipeline.objects.filter(key=key).first()
    if pipeline is None:
        raise field_error("pipeline", f"Unknown pipeline '{key}'.")
    return pipeline


def default_close_date(today: dt.date) -> dt.date:
    """A new deal's close date unless one is given: the end of the fiscal quarter."""
    return fiscal_quarter_end(today)


def lost_reason(key: str | None) -> LostReason | None:
    if not key:
        return None
    reason = LostReason.objects.filter(key=key, is_active=True).first()
    if reason is None:
        raise field_error("lost_reason", f"Unknown lost reason '{key}'.")
    return reason


def _enter_stage(opportunity: Opportunity, stage: Stage, now: dt.datetime) -> None:
    opportunity.stage = stage
    opportunity.probability = stage.default_probability
    opportunity.forecast_category = stage.forecast_category
    opportunity.is_closed = stage.is_closed
    opportunity.is_won = stage.is_won
    opportunity.closed_at = now if stage.is_closed else None
    opportunity.stage_changed_at = now
    if not stage.is_closed or stage.is_won:
        opportunity.lost_reason = None


def _apply_overrides(
    opportunity: Opportunity, probability: int | None, category: str | None
) -> None:
    if probability is None and category is None:
        return
    if opportunity.is_closed:
        field = "probability" if probability is not None else "forecast_category"
        raise field_error(field, "Probability and forecast category follow the stage once closed.")
    if probability is not None:
        if not 0 <= probability <= 100:
            raise field_error("probability", "A probability is a percentage, from 0 to 100.")
        opportunity.probability = probability
    if category is not None:
        if category not in ForecastCategory.values:
            raise field_error("forecast_category", f"Unknown forecast category '{category}'.")
        if category in (ForecastCategory.CLOSED,):
            raise field_error(
                "forecast_category", "Only a closed stage sets the category 'closed'."
            )
        opportunity.forecast_category = category


def _check_closing(opportunity: Opportunity) -> None:
    if opportunity.is_closed and not opportunity.is_won and opportunity.lost_reason is None:
        raise field_error("lost_reason", "Closing an opportunity as lost requires a lost reason.")


def _history_row(
    opportunity: Opportunity,
    actor: User | None,
    now: dt.datetime,
    previous_amount: Decimal | None = None,
    previous_close_date: dt.date | None = None,
) -> OpportunityHistory:
    """The deal's history row as it stands now (unsaved): one place for its fields."""
    return OpportunityHistory(
        opportunity=opportunity,
        deal_owner_id=opportunity.owner_id,
        stage=opportunity.stage,
        amount=opportunity.amount,
        probability=opportunity.probability,
        close_date=opportunity.close_date,
        forecast_category=opportunity.forecast_category,
        previous_amount=previous_amount,
        previous_close_date=previous_close_date,
        changed_by=actor,
        changed_at=now,
    )


def _append_history(
    opportunity: Opportunity,
    actor: User | None,
    now: dt.datetime,
    previous_amount: Decimal | None = None,
    previous_close_date: dt.date | None = None,
) -> None:
    _history_row(opportunity, actor, now, previous_amount, previous_close_date).save()


def open_opportunity(
    actor: User, draft: OpportunityDraft, *, now: dt.datetime | None = None
) -> Opportunity:
    """Create an opportunity and its first history row."""
    policy.require(actor, policy.Verb.CREATE, Opportunity)
    if draft.owner is not None:
        policy.require_owner(draft.owner, policy.OPPORTUNITY, "owner_id")
    now = now or timezone.now()
    with transaction.atomic():
        if draft.primary_contact and draft.primary_contact.account_id not in (
            None,
            draft.account.pk,
        ):
            raise field_error("primary_contact_id", "The contact belongs to another account.")
        opportunity = Opportunity(
            name=draft.name,
            account=draft.account,
            owner=draft.owner,
            pipeline=draft.pipeline,
            amount=draft.amount,
            close_date=draft.close_date,
            type=draft.type,
            lead_source=draft.lead_source,
            campaign=draft.campaign,
            next_step=draft.next_step,
            description=draft.description,
            primary_contact=draft.primary_contact,
        )
        _enter_stage(opportunity, stage_in(draft.pipeline, draft.stage_key), now)
        if draft.lost_reason_key:
            opportunity.lost_reason = lost_reason(draft.lost_reason_key)
            if not (opportunity.is_closed and not opportunity.is_won):
                raise field_error("lost_reason", "Only a lost opportunity has a lost reason.")
        _apply_overrides(opportunity, draft.probability, draft.forecast_category)
        _check_closing(opportunity)
        apply_custom(opportunity, Kind.OPPORTUNITY, draft.custom, creating=True)
        opportunity.save()
        if opportunity.primary_contact is not None:
            _mark_primary_role(opportunity)  # the primary contact is the primary role
        _append_history(opportunity, actor, now)
        record_creation(actor, opportunity)
        rescore(opportunity, now)  # its win probability (opportune.scoring)
    return opportunity


@transaction.atomic
def change_opportunity(
    actor: User, opportunity: Opportunity, changes: dict[str, Any]
) -> Opportunity:
    """Apply a partial change. ``changes`` uses the API's names: ``stage`` and ``lost_reason``
    are keys, ``owner_id``/``account_id``/``primary_contact_id`` ids, the rest field values.
    """
    policy.require(actor, policy.Verb.CHANGE, opportunity)
    # Lock the bare row: had the locking query joined the stage, PostgreSQL would re-check
    # a concurrently moved deal against its old stage row and find no opportunity at all.
    opportunity = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
    now = timezone.now()  # read once the lock is ours, so history is stamped in commit order
    before = snapshot(opportunity, TRACKED_FIELDS)
    owner_before = opportunity.owner_id
    changes = dict(changes)
    given = set(changes)
    probability = changes.pop("probability", None)
    category = changes.pop("forecast_category", None)

    if "pipeline" in changes:
        target = pipeline_by_key(changes.pop("pipeline"))
        if target.pk != opportunity.pipeline_id:
            _move_to_pipeline(opportunity, target, changes.pop("stage", None), now)
    if "stage" in changes:
        stage = stage_in(opportunity.pipeline, changes.pop("stage"))
        if stage.pk != opportunity.stage_id:
            _enter_stage(opportunity, stage, now)
            if stage.is_closed and "close_date" not in given:
                # A deal counts in the period it actually closed, unless told otherwise.
                opportunity.close_date = timezone.localdate(now)
    if "lost_reason" in changes:
        opportunity.lost_reason = lost_reason(changes.pop("lost_reason"))
        if opportunity.lost_reason and not (opportunity.is_closed and not opportunity.is_won):
            raise field_error("lost_reason", "Only a lost opportunity has a lost reason.")
    if "owner_id" in changes:
        opportunity.owner = policy.assignable_owner(changes.pop("owner_id"), policy.OPPORTUNITY)
    if "account_id" in changes:
        account = Account.objects.visible_to(actor).filter(pk=changes.pop("account_id")).first()
        if account is None:
            raise field_error("account_id", "No such account that you can see.")
        opportunity.account = account
    if "primary_contact_id" in changes:
        contact_id = changes.pop("primary_contact_id")
        contact = None
        if contact_id is not None:
            contact = Contact.objects.visible_to(actor).filter(pk=contact_id).first()
            if contact is None:
                raise field_error("primary_contact_id", "No such contact that you can see.")
        opportunity.primary_contact = contact
    apply_custom(opportunity, Kind.OPPORTUNITY, changes.pop("custom", None), creating=False)
    if given & {"account_id", "primary_contact_id"}:
        # Checked once both are applied: moving the deal must not strand its primary contact.
        contact = opportunity.primary_contact
        if contact is not None and contact.account_id not in (None, opportunity.account_id):
            raise field_error("primary_contact_id", "The contact belongs to another account.")
    for name, value in changes.items():
        if name not in _PLAIN:
            # is_closed, is_won, closed_at & co. follow the stage; nothing else may set them.
            raise field_error(name, f"'{name}' cannot be set directly; the stage sets it.")
        if name in {"name", "close_date"} and value is None:
            raise field_error(name, "This field is required.")
        setattr(opportunity, name, "" if value is None and name in _TEXT else value)
    _apply_overrides(opportunity, probability, category)
    _check_closing(opportunity)
    opportunity.save()
    if "primary_contact_id" in given:
        _mark_primary_role(opportunity)
    if opportunity.owner_id != owner_before:
        OpportunityHistory.objects.follow_owner([opportunity.pk], opportunity.owner_id)

    after = snapshot(opportunity, TRACKED_FIELDS)
    if any(before[f] != after[f] for f in HISTORY_FIELDS):
        _append_history(opportunity, actor, now, before["amount"], before["close_date"])
        rescore(opportunity, now)  # its win probability follows stage, amount, close date
    record_changes(actor, opportunity, before, after)
    return opportunity


def _move_to_pipeline(
    opportunity: Opportunity, target: Pipeline, stage_key: str | None, now: dt.datetime
) -> None:
    """Put the deal in ``target`` at the mapped stage (``mapping.py``), or at the stage the
    user picked among those keeping it open, won or lost as it is."""
    stages = list(target.stages.filter(is_active=True))
    if stage_key is None:
        stage = mapped_stage(opportunity.stage, opportunity.is_closed, opportunity.is_won, target)
    else:
        allowed = stage_choices(opportunity.is_closed, opportunity.is_won, stages)
        found = next((s for s in allowed if s.key == stage_key), None)
        if found is None:
            state = "won" if opportunity.is_won else "lost" if opportunity.is_closed else "open"
            raise field_error(
                "stage", f"No {state} stage '{stage_key}' in the pipeline '{target.key}'."
            )
        stage = found
    opportunity.pipeline = target
    if opportunity.is_closed:
        # A closed deal keeps its outcome, when it closed, its close date and lost reason.
        opportunity.stage = stage
        opportunity.probability = stage.default_probability
        opportunity.forecast_category = stage.forecast_category
        opportunity.stage_changed_at = now
    else:
        _enter_stage(opportunity, stage, now)


def _mark_primary_role(opportunity: Opportunity) -> None:
    """Exactly the primary contact's role is marked primary; the old contact keeps its role
    (a former decision maker still took part), just no longer as the primary one."""
    former = ContactRole.objects.filter(opportunity=opportunity, is_primary=True)
    if opportunity.primary_contact is not None:
        former = former.exclude(contact=opportunity.primary_contact)
    former.update(is_primary=False)
    if opportunity.primary_contact is not None:
        ContactRole.objects.update_or_create(
            opportunity=opportunity,
            contact=opportunity.primary_contact,
            defaults={"is_primary": True},
        )


def close_opportunity(
    actor: User, opportunity: Opportunity, *, won: bool, lost_reason_key: str | None = None
) -> Opportunity:
    """Move to the pipeline's won (or lost) stage; a loss needs a reason."""
    stage = opportunity.pipeline.stages.filter(is_closed=True, is_won=won, is_active=True).first()
    if stage is None:
        raise RuleViolation(f"The pipeline has no active {'won' if won else 'lost'} stage.")
    changes: dict[str, Any] = {"stage": stage.key}
    if not won:
        changes["lost_reason"] = lost_reason_key
    return change_opportunity(actor, opportunity, changes)


@transaction.atomic
def reassign_opportunities(
    actor: User, ids: Sequence[int], owner_id: int | None
) -> list[Opportunity | DomainError]:
    """Give many deals (found among those the actor sees) one owner, set-based; each is
    answered as itself or its refusal, in order (opportune/audit/batch.py). Their history
    rows follow (``OpportunityHistory.deal_owner``)."""
    results = change_owners(actor, Opportunity, ids, owner_id, "owner_id")
    given = [r.pk for r in results if isinstance(r, Opportunity)]  # each now owned by owner_id
    if given:
        OpportunityHistory.objects.follow_owner(given, owner_id)
    return results


# What a stage move writes (the stage's consequences, _enter_stage, and the close date).
_MOVE_FIELDS = (
    "stage_id",
    "probability",
    "forecast_category",
    "is_closed",
    "is_won",
    "closed_at",
    "stage_changed_at",
    "lost_reason_id",
    "close_date",
    "updated_at",
)


def _move(
    deal: Opportunity, stage: Stage, reason: LostReason | None, given: bool, now: dt.datetime
) -> None:
    """``change_opportunity``'s stage and lost-reason rules, on one loaded deal."""
    if stage.pk != deal.stage_id:
        _enter_stage(deal, stage, now)
        if stage.is_closed:
            deal.close_date = timezone.localdate(now)
    if given:
        deal.lost_reason = reason
        if reason is not None and not (deal.is_closed and not deal.is_won):
            raise field_error("lost_reason", "Only a lost opportunity has a lost reason.")
    _check_closing(deal)


@transaction.atomic
def move_opportunities(
    actor: User,
    ids: Sequence[int],
    stage_key: str,
    lost_reason_key: str | None = None,
    *,
    now: dt.datetime | None = None,
) -> list[Opportunity | DomainError]:
    """Move each deal (found among those the actor sees) to the stage ``stage_key`` of its
    OWN pipeline, by the stage rules of ``change_opportunity`` (the stage sets probability,
    category and outcome; closing sets the close date; a loss needs a lost reason, which
    ``lost_reason_key`` gives). A deal whose pipeline has no active stage of that key is
    refused, never put in another pipeline's stage. Each deal is answered as itself or its
    refusal, in the ids' order; the moved ones get their history row, field history and a
    fresh win probability. A few queries whatever the number of deals."""
    policy.require_writer(actor)
    ids = list(dict.fromkeys(ids))
    deals = locked(Opportunity, ids)
    now = now or timezone.now()
    pipelines = Pipeline.objects.in_bulk({deal.pipeline_id for deal in deals.values()})
    stages = {
        stage.pipeline_id: stage
        for stage in Stage.objects.filter(pipeline__in=pipelines, key=stage_key, is_active=True)
    }
    reasons = LostReason.objects.in_bulk()
    try:
        reason = lost_reason(lost_reason_key)
    except DomainError as refused:
        return [refused for _ in ids]
    results: list[Opportunity | DomainError] = []
    moved: list[Opportunity] = []
    history: list[OpportunityHistory] = []
    changes: list[FieldChange] = []
    for pk in ids:
        deal = deals.get(pk)
        try:
            if deal is None:
                raise Conflict(GONE)
            policy.require(actor, policy.Verb.CHANGE, deal)
            stage = stages.get(deal.pipeline_id)
            if stage is None:
                pipeline = pipelines[deal.pipeline_id]
                raise field_error(
                    "stage",
                    f"No active stage '{stage_key}' in this deal's pipeline '{pipeline.key}'; "
                    "a deal moves only to a stage of its own pipeline.",
                )
            deal.pipeline = pipelines[deal.pipeline_id]
            deal.lost_reason = reasons.get(deal.lost_reason_id) if deal.lost_reason_id else None
            before = snapshot(deal, TRACKED_FIELDS)
            _move(deal, stage, reason, lost_reason_key is not None, now)
        except DomainError as refused:
            results.append(refused)
            continue
        results.append(deal)
        after = snapshot(deal, TRACKED_FIELDS)
        if before == after:
            continue
        deal.updated_at = now
        moved.append(deal)
        changes += field_changes(actor, deal, before, after)
        if any(before[f] != after[f] for f in HISTORY_FIELDS):
            history.append(_history_row(deal, actor, now, before["amount"], before["close_date"]))
    update_rows(Opportunity, moved, _MOVE_FIELDS)
    OpportunityHistory.objects.bulk_create(history)
    write_history(changes)
    _rescore_many([row.opportunity for row in history], now)
    return results


def _rescore_many(deals: list[Opportunity], now: dt.datetime) -> None:
    """``rescore`` for many deals: the closed lose their score, the open are scored anew."""
    closed = [deal.pk for deal in deals if deal.is_closed]
    if closed:
        OpportunityScore.objects.filter(opportunity_id__in=closed).delete()
    still_open = [deal.pk for deal in deals if not deal.is_closed]
    if still_open:
        score_open(now, ids=still_open)


UNDO_WINDOW = dt.timedelta(seconds=10)


def _stage_entered_at(rows: list[OpportunityHistory], index: int) -> dt.datetime:
    """When the deal entered the stage of ``rows[index]`` (rows newest first)."""
    stage_id = rows[index].stage_id
    while index + 1 < len(rows) and rows[index + 1].stage_id == stage_id:
        index += 1
    return rows[index].changed_at


@transaction.atomic
def undo_stage_change(
    actor: User, opportunity: Opportunity, history_id: int, now: dt.datetime
) -> Opportunity:
    """Put the deal back where the stage change ``history_id`` found it (stage, probability,
    category, amount, close date; a just-closed deal reopens, a just-reopened one closes again).

    Only the user who made the change may undo it, only within ``UNDO_WINDOW`` of it, and
    only while it is still the deal's last change: an undo must never overwrite someone
    else's later work. The undo is a change of its own: a new history row, field history,
    a fresh win probability; no row is ever deleted.
    """
    policy.require(actor, policy.Verb.CHANGE, opportunity)
    opportunity = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
    rows = list(
        OpportunityHistory.objects.filter(opportunity=opportunity).order_by("-changed_at", "-pk")
    )
    change = rows[0] if rows else None
    if change is None or change.pk != history_id:
        raise Conflict("The deal has changed since; there is nothing to undo.")
    if change.changed_by_id != actor.pk:
        raise NotAllowed("Only the person who moved the deal can undo the move.")
    if not dt.timedelta(0) <= now - change.changed_at <= UNDO_WINDOW:
        raise RuleViolation("Too late to undo: a move can be undone for 10 seconds.")
    if len(rows) < 2 or rows[1].stage_id == change.stage_id:
        raise RuleViolation("That change did not move the deal to another stage.")
    # The move's own field history was written after its save; any later save of the deal
    # (a name, an owner...) stamps updated_at after it.
    stage_row = (
        FieldChange.objects.filter(
            record_type="opportunity", record_id=opportunity.pk, field="stage_id"
        )
        .order_by("-changed_at", "-pk")
        .first()
    )
    if (
        stage_row is None
        or stage_row.new_value != str(change.stage_id)
        or stage_row.changed_by_id != actor.pk
        or opportunity.updated_at > stage_row.changed_at
    ):
        raise Conflict("The deal has changed since; there is nothing to undo.")

    previous = rows[1]
    before = snapshot(opportunity, TRACKED_FIELDS)
    former_reason = (
        FieldChange.objects.filter(
            record_type="opportunity",
            record_id=opportunity.pk,
            field="lost_reason_id",
            changed_at__gte=stage_row.changed_at - UNDO_WINDOW,
        )
        .order_by("-changed_at", "-pk")
        .values_list("old_value", flat=True)
        .first()
    )
    entered_at = _stage_entered_at(rows, 1)
    _enter_stage(opportunity, previous.stage, entered_at)
    opportunity.probability = previous.probability
    opportunity.forecast_category = previous.forecast_category
    opportunity.amount = previous.amount
    opportunity.close_date = previous.close_date
    if previous.stage.is_closed and not previous.stage.is_won and former_reason:
        opportunity.lost_reason = LostReason.objects.filter(pk=int(former_reason)).first()
    _check_closing(opportunity)
    opportunity.save()
    after = snapshot(opportunity, TRACKED_FIELDS)
    _append_history(opportunity, actor, now, before["amount"], before["close_date"])
    rescore(opportunity, now)
    record_changes(actor, opportunity, before, after)
    return opportunity


def draft_from(actor: User, data: Any) -> OpportunityDraft:
    """Resolve an ``OpportunityCreate`` (ids and keys) into a draft, within what the actor sees."""
    account = Account.objects.visible_to(actor).filter(pk=data.account_id).first()
    if account is None:
        raise field_error("account_id", f"No account {data.account_id} that you can see.")
    contact = None
    if data.primary_contact_id is not None:
        contact = Contact.objects.visible_to(actor).filter(pk=data.primary_contact_id).first()
        if contact is None:
            raise field_error("primary_contact_id", "No such contact that you can see.")
    pipeline = pipeline_by_key(data.pipeline) if data.pipeline else Pipeline.default()
    owner = (
        policy.assignable_owner(data.owner_id, policy.OPPORTUNITY)
        if data.owner_id is not None
        else actor
    )
    return OpportunityDraft(
        name=data.name,
        account=account,
        owner=owner,
        close_date=data.close_date,
        pipeline=pipeline,
        stage_key=data.stage,
        amount=data.amount,
        probability=data.probability,
        forecast_category=data.forecast_category,
        type=data.type or "",
        lead_source=data.lead_source or "",
        campaign=data.campaign or "",
        next_step=data.next_step or "",
        description=data.description or "",
        primary_contact=contact,
        lost_reason_key=data.lost_reason,
        custom=data.custom,
    )
