"""The lead importer: the high-volume target, written with one plain-row bulk insert per
batch (``bulk.RowInserter``). Validation by ``LeadCreate``, match keys, in-file and existing
duplicates, assignment rules: all set-based, a few queries per batch.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from opportune.capture import keys
from opportune.capture.services import RuleSet, assign_by_rules
from opportune.errors import DomainError
from opportune.leads.models import Lead, LeadStatus
from opportune.leads.schemas import LeadChanges, LeadCreate
from opportune.leads.services import check_disqualification, settable_status, update_leads
from opportune.probes import AnyOf, index_probes
from opportune.scoring.rescore import score_import_rows

from .bulk import RowInserter
from .importers import BatchOutcome, Importer, domain_issue
from .mapping import Mapping, normalize_header
from .models import ImportJob, RowIssue, Target
from .picklists import fold
from .reading import Row
from .rows import Issue, Prepared

TEXT_FIELDS = {
    f.attname
    for f in Lead._meta.concrete_fields
    if f.get_internal_type() in {"CharField", "TextField", "EmailField"}
}


NOT_LEAD_FIELDS = {"status", "owner_id"}


# Where a file says when a lead was converted (ours, Salesforce's ConvertedDate).
CONVERTED_AT_HEADERS = {"convertedat", "converteddate", "dateconverted"}


def converted_before(row: Row) -> dict[str, Any]:
    """A lead the file says was converted lands closed as converted, read-only, with the
    file's conversion date when it has one and no linked records ("converted before
    import"): conversion itself, which creates them, is not replayed."""
    when = None
    for header, cell in row.values.items():
        if normalize_header(header) in CONVERTED_AT_HEADERS and cell.strip():
            when = parse_when(cell.strip())
            break
    return {"is_converted": True, "converted_at": when}


def parse_when(text: str) -> dt.datetime | None:
    moment = parse_datetime(text.replace(" ", "T", 1)) if len(text) > 10 else None
    if moment is None:
        day = parse_date(text[:10])
        moment = dt.datetime.combine(day, dt.time()) if day else None
    if moment is not None and timezone.is_naive(moment):
        moment = timezone.make_aware(moment, dt.UTC)
    return moment


class NewLead:
    """A checked lead row on its way to a bulk insert: its line, values, status, owner and
    match keys, and attribute access to the values for the assignment rules. Plain and
    slotted, not a model instance: a million of them cross from the checking helpers."""

    __slots__ = (
        "changes",
        "company_key",
        "email_key",
        "external_id",
        "line",
        "name_key",
        "owner",
        "phone_key",
        "rule",
        "status_id",
        "values",
    )

    def __init__(
        self, prepared: Prepared, status_id: int, keep_changes: bool, rules: RuleSet
    ) -> None:
        data = prepared.data
        values = {name: getattr(data, name) for name in data.model_fields_set - NOT_LEAD_FIELDS}
        self.values = {k: ("" if v is None and k in TEXT_FIELDS else v) for k, v in values.items()}
        # What an update by match key changes: only kept when the job matches.
        self.changes = data.model_dump(exclude_unset=True) if keep_changes else None
        self.line = prepared.line
        self.external_id = prepared.external_id
        self.status_id = status_id
        self.owner: Any = prepared.owner
        self.email_key = keys.email_key(values.get("email") or "")
        self.phone_key = keys.phone_key(values.get("phone") or "", values.get("country") or "")
        self.name_key = keys.name_key(values.get("first_name") or "", values["last_name"])
        self.company_key = keys.company_key(values["company"])
        # The assignment rule that gives the lead its owner, when the file names none.
        self.rule = rules.first_match(self) if self.owner is None else None

    def __getattr__(self, name: str) -> Any:
        # Only reached for names that are not slots: the lead's own field values. (Not for
        # special names, which pickle looks up before the slots are restored.)
        if name.startswith("__"):
            raise AttributeError(name)
        return self.values.get(name)

    def __getstate__(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        for name, value in zip(self.__slots__, state, strict=True):
            setattr(self, name, value)

    def row(self) -> dict[str, Any]:
        return {
            **self.values,
            "status_id": self.status_id,
            "owner_id": self.owner.pk if self.owner is not None else None,
            "email_key": self.email_key,
            "phone_key": self.phone_key,
            "name_key": self.name_key,
            "company_key": self.company_key,
        }


class LeadImporter(Importer[NewLead]):
    target = Target.LEADS
    schema = LeadCreate
    checks_without_database = True  # statuses and owners are loaded once, up front

    def __init__(self, job: ImportJob, mapping: Mapping) -> None:
        super().__init__(job, mapping)
        self.statuses: dict[str, LeadStatus] = {}
        for status in LeadStatus.objects.all():
            self.statuses.setdefault(status.label.casefold(), status)
            self.statuses[status.key] = status
        for key, label in mapping.new_values.get("status", {}).items():
            # Added by the real run before its first row; a dry run checks with them unsaved.
            self.statuses.setdefault(key, LeadStatus(key=key, label=label))
        self.default_status = LeadStatus.default()
        self.rules = RuleSet.load()
        self.inserter = RowInserter(Lead)

    def visible(self) -> Any:
        return Lead.objects.visible_to(self.actor)

    def resolve(self, values: dict[str, Any], row: Row) -> Issue | None:
        if "status" not in values:
            return None
        status = self.statuses.get(values["status"].casefold())
        if status is not None and status.is_converted:  # history: see ``converted_before``
            values["status"] = status.key
            return None
        if status is not None and status.requires_reason and not values.get("disqualify_reason"):
            # A file closes leads without saying why (Salesforce's "Closed - Not Converted"):
            # the reason says where the status came from.
            raw = row.values.get(self.mapping.header_of("status"), "").strip()
            if fold(raw) in self.mapping.values.get("status", {}):
                raw = status.label  # a code the mapping translates ("0"): say its status
            values["disqualify_reason"] = f"{raw or status.label} (before import)"[:255]
        try:
            status = settable_status(status, values["status"])
            check_disqualification(status, values.get("disqualify_reason") or "")
        except DomainError as refused:
            header = self.mapping.header_of("status")
            return Issue(row.line, header, refused.detail, values["status"])
        values["status"] = status.key
        return None

    def prepare(self, row: Row) -> NewLead | list[Issue]:
        prepared = self.validated(row)
        if isinstance(prepared, list):
            return prepared
        status_key = getattr(prepared.data, "status", None)
        status = self.statuses[status_key] if status_key else self.default_status
        lead = NewLead(prepared, status.pk, bool(self.job.match_key), self.rules)
        if status.is_converted:
            lead.values.update(converted_before(row))
        return lead

    def dedupe_key(self, lead: NewLead) -> str:
        if self.job.match_key == "external_id":
            return lead.external_id
        return str(lead.email_key)

    def match_value(self, lead: NewLead) -> str:
        return self.dedupe_key(lead)

    def find_existing(self, outcome: BatchOutcome[NewLead]) -> dict[str, int]:
        if self.job.match_key == "external_id":
            return self.existing_by_external_id(outcome)
        emails = {lead.email_key for lead in outcome.creates} - {""}
        with index_probes():
            found = self.visible().filter(AnyOf("email_key", emails)).values_list("pk", "email_key")
            # Sorted here: an ORDER BY would walk the primary key instead of probing.
            return {email: pk for pk, email in sorted(found)}  # several: the newest

    def match(self, outcome: BatchOutcome[NewLead]) -> None:
        super().match(outcome)
        self.flag_possible_duplicates(outcome)

    def flag_possible_duplicates(self, outcome: BatchOutcome[NewLead]) -> None:
        """New rows whose email or phone some visible lead already has: created, reported."""
        emails = {lead.email_key for lead in outcome.creates} - {""}
        phones = {lead.phone_key for lead in outcome.creates} - {""}
        if not emails and not phones:
            return
        by_email: dict[str, int] = {}
        by_phone: dict[str, int] = {}
        condition = Q(AnyOf("email_key", emails)) | Q(AnyOf("phone_key", phones))
        with index_probes():
            found = self.visible().filter(condition).values_list("pk", "email_key", "phone_key")
            # Sorted here: an ORDER BY would walk the primary key instead of probing.
            found = sorted(found)
        for pk, found_email, found_phone in found:  # the oldest lead is named
            by_email.setdefault(found_email, pk)
            by_phone.setdefault(found_phone, pk)
        for lead in outcome.creates:
            same = ("email", by_email.get(lead.email_key)) if lead.email_key else ("", None)
            if same[1] is None and lead.phone_key:
                same = ("phone", by_phone.get(lead.phone_key))
            if same[1] is not None:
                outcome.counts.possible_duplicates += 1
                outcome.issues.append(
                    Issue(
                        lead.line,
                        self.mapping.header_of(same[0]),
                        f"Same {same[0]} as lead #{same[1]}: created, check for a merge.",
                        str(getattr(lead, same[0]))[:255],
                        RowIssue.POSSIBLE_DUPLICATE,
                    )
                )

    def write(self, outcome: BatchOutcome[NewLead]) -> None:
        leads = outcome.creates
        assign_by_rules([(lead, lead.rule) for lead in leads if lead.owner is None], self.rules)
        for lead in leads:
            if lead.owner is None:
                lead.owner = self.actor
        # The new ids are only needed to record external ids.
        with_ids = any(lead.external_id for lead in leads)
        rows = [lead.row() for lead in leads]
        score_import_rows(rows, timezone.now())  # open leads land scored (opportune/scoring)
        ids = self.inserter.insert(rows, with_ids=with_ids)
        outcome.counts.created += len(leads)
        if with_ids:
            self.record_external_ids(
                [(lead.external_id, pk) for lead, pk in zip(leads, ids, strict=True)]
            )
        changes = [(pk, LeadChanges.model_validate(lead.changes)) for lead, pk in outcome.updates]
        matched: list[tuple[str, int]] = []
        for (lead, pk), updated in zip(
            outcome.updates, update_leads(self.actor, changes), strict=True
        ):
            if isinstance(updated, DomainError):
                outcome.reject(domain_issue(lead, updated, self.mapping))
            else:
                outcome.counts.updated += 1
                matched.append((lead.external_id, pk))
        self.record_external_ids(matched)  # matched by email: their ids now known
