"""The activity importer: tasks, calls, meetings, emails and notes from Salesforce (Task and
Event), HubSpot (activities), Pipedrive (activities) or our own export, with their dates, done
state, owner and the records they concern.

Each row is checked by ``ActivityCreate`` (the API's schema); the records it links to are
found for the whole batch at once (``activity_links.py``); then each activity is written by
the activities service ``save_activity`` in a savepoint, so its rules (what the user may
see and link, who may own it) are the API's, and a refused row is reported alone. Activities
have no custom fields.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from opportune.activities.models import Activity, ActivityKind
from opportune.activities.schemas import ActivityChanges, ActivityCreate
from opportune.activities.services import save_activity
from opportune.errors import DomainError

from .activity_links import LINK_FIELDS, LinkResolver
from .importers import BatchOutcome, Importer, domain_issue
from .mapping import Mapping
from .models import ImportJob, Target
from .reading import Row
from .rows import Issue, Prepared, parse_moment

_KIND_LABELS = {c.value: c.label for c in ActivityKind}


@dataclass
class ActivityRow(Prepared):
    """A checked activity row: its references to records (column field -> the file's value)
    and when it was done, if the file says."""

    links: dict[str, str] = field(default_factory=dict)
    done_at: dt.datetime | None = None

    def happened_at(self, now: dt.datetime) -> dt.datetime | None:
        """The activity's own date: done, else started, else due (noon UTC), else created,
        the first that is not ahead; None when the file gives none."""
        data: Any = self.data
        due = data.due_date
        for moment in (
            self.done_at,
            data.start_at,
            dt.datetime.combine(due, dt.time(12), tzinfo=dt.UTC) if due else None,
            self.created_at,
        ):
            if moment is not None and moment <= now:
                return moment
        return None


class ActivityImporter(Importer[ActivityRow]):
    target = Target.ACTIVITIES
    schema = ActivityCreate

    def __init__(self, job: ImportJob, mapping: Mapping) -> None:
        super().__init__(job, mapping)
        self.links = LinkResolver(self.actor, mapping)
        self._pending: tuple[dict[str, str], dt.datetime | None] = ({}, None)

    def visible(self) -> Any:
        return Activity.objects.visible_to(self.actor)

    def dedupe_key(self, prepared: ActivityRow) -> str:
        return prepared.external_id

    match_value = dedupe_key

    def prepare(self, row: Row) -> ActivityRow | list[Issue]:
        self._pending = ({}, None)
        prepared = self.validated(row)
        if isinstance(prepared, list):
            return prepared
        links, done_at = self._pending
        return ActivityRow(
            prepared.line,
            prepared.data,
            prepared.owner,
            prepared.external_id,
            prepared.created_at,
            links,
            done_at,
        )

    def resolve(self, values: dict[str, Any], row: Row) -> Issue | None:
        """The row's kind (an "Other" or blank type takes its subtype, else it is a task),
        done state (a status "Completed" is done), dates and subject; its references kept
        for the batch's lookup (``settle``)."""
        links = {name: str(values.pop(name)) for name in LINK_FIELDS if name in values}
        subtype = values.pop("subtype", "")
        if values.get("kind", "") in ("", "other"):
            values["kind"] = subtype if subtype not in ("", "other") else ActivityKind.TASK
        status = values.pop("status", "")
        if status and "is_done" not in values:
            values["is_done"] = status == "done"
        moments: dict[str, dt.datetime | None] = {}
        order = str(self.mapping.options.get("date_order") or "")
        for name in ("done_at", "start_at", "end_at"):
            text = str(values.pop(name, "") or "")
            moments[name] = parse_moment(text, order) if text else None
            if text and moments[name] is None:
                header = self.mapping.header_of(name)
                return Issue(row.line, header, f"'{text}' is not a date.", text[:255])
            if name != "done_at" and moments[name] is not None:
                values[name] = moments[name]
        if not str(values.get("subject") or "").strip():
            body = str(values.get("body") or "").strip()
            first_line = body.splitlines()[0][:80] if body else ""
            values["subject"] = first_line or _KIND_LABELS.get(values["kind"], "Activity")
        values["subject"] = str(values["subject"])[:255]
        if not links:
            reason = (
                "The row names no record: map a column to lead, contact, account or "
                "opportunity (Salesforce's WhoId and WhatId are who and what)."
            )
            return Issue(row.line, "", reason)
        self._pending = (links, moments["done_at"])
        return None

    def settle(self, checked: list[ActivityRow | list[Issue]]) -> BatchOutcome[ActivityRow]:
        """The batch's rows with the records they link to, found in one go; a row whose
        reference finds nothing is reported and not written."""
        outcome = super().settle(checked)
        rows = [*outcome.creates, *(row for row, _ in outcome.updates)]
        found = self.links.resolve((row.line, row.links) for row in rows)
        creates, updates = [], []
        for row in outcome.creates:
            if isinstance(ids := found[row.line], Issue):
                outcome.reject(ids)
            else:
                creates.append(self._linked(row, ids))
        for row, pk in outcome.updates:
            if isinstance(ids := found[row.line], Issue):
                outcome.reject(ids)
            else:
                updates.append((self._linked(row, ids), pk))
        outcome.creates, outcome.updates = creates, updates
        return outcome

    @staticmethod
    def _linked(row: ActivityRow, ids: dict[str, int]) -> ActivityRow:
        values = {**row.data.model_dump(exclude_unset=True), **ids}
        row.data = ActivityCreate.model_validate(values)
        return row

    def write(self, outcome: BatchOutcome[ActivityRow]) -> None:
        """Each activity through ``save_activity`` in a savepoint, dated from the file."""
        now = timezone.now()
        created: list[tuple[str, int]] = []
        for row in outcome.creates:
            when = row.happened_at(now)
            try:
                with transaction.atomic():
                    activity = save_activity(self.actor, row.data, when=when)  # type: ignore[arg-type]
                    dated = row.created_at if row.created_at and row.created_at <= now else when
                    if dated is not None:
                        Activity.objects.filter(pk=activity.pk).update(created_at=dated)
            except DomainError as exc:
                outcome.reject(domain_issue(row, exc, self.mapping))
                continue
            outcome.counts.created += 1
            created.append((row.external_id, activity.pk))
        for row, pk in outcome.updates:
            changes = ActivityChanges.model_validate(row.data.model_dump(exclude_unset=True))
            try:
                with transaction.atomic():
                    existing = self.visible().get(pk=pk)
                    save_activity(self.actor, changes, existing, when=row.happened_at(now))
            except DomainError as exc:
                outcome.reject(domain_issue(row, exc, self.mapping))
                continue
            outcome.counts.updated += 1
        self.record_external_ids(created)
