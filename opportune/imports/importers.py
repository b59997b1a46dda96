"""One importer per target. ``check(rows)`` validates a batch row by row; ``settle`` takes
the checked rows in file order and answers a ``BatchOutcome`` whose ``write()`` the job
calls inside the batch's transaction.

Leads, the high-volume target, have their own bulk importer (``lead_importer.py``).
Accounts, contacts and opportunities go through their services row by row (each row in a
savepoint, ``RowImporter``), since their files are small and their rules many.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from django.db import transaction
from django.utils import timezone
from pydantic import BaseModel

from opportune.accounts.models import Account, Contact, normalize_company
from opportune.accounts.schemas import AccountChanges, AccountCreate, ContactChanges, ContactCreate
from opportune.accounts.services import save_account, save_contact
from opportune.capture.keys import email_key
from opportune.customfields import imports as custom_columns
from opportune.errors import DomainError
from opportune.opportunities.models import Opportunity, Pipeline, Stage
from opportune.opportunities.schemas import OpportunityCreate
from opportune.opportunities.services import change_opportunity, draft_from, open_opportunity
from opportune.probes import AnyOf, index_probes

from .history import opened_at
from .mapping import Mapping
from .models import ExternalId, ImportJob, RowIssue, Target
from .picklists import fold
from .picklists import load as load_picklists
from .reading import Row
from .references import ParentLinks
from .rows import (
    CheckedRow,
    Issue,
    OwnerDirectory,
    Prepared,
    mapped_values,
    parse_moment,
    resolve_owner,
    validate,
)
from .seen import SeenKeys

if TYPE_CHECKING:
    from django.db.models import Model


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    skipped: int = 0
    invalid: int = 0
    possible_duplicates: int = 0


R = TypeVar("R", bound=CheckedRow)


@dataclass
class BatchOutcome(Generic[R]):
    issues: list[Issue] = field(default_factory=list)
    counts: Counts = field(default_factory=Counts)
    creates: list[R] = field(default_factory=list)
    updates: list[tuple[R, int]] = field(default_factory=list)
    writer: Callable[[BatchOutcome[R]], None] | None = None

    def write(self) -> Counts:
        if self.writer is not None:
            self.writer(self)
        else:  # a dry run: report what would happen
            self.counts.created += len(self.creates)
            self.counts.updated += len(self.updates)
        return self.counts

    def reject(self, issues: list[Issue] | Issue) -> None:
        self.issues.extend(issues if isinstance(issues, list) else [issues])
        self.counts.invalid += 1


class Importer(Generic[R]):
    """What every target shares: checking, in-file duplicates, matching existing records."""

    target: Target
    schema: type[BaseModel]

    def __init__(self, job: ImportJob, mapping: Mapping) -> None:
        self.job = job
        self.mapping = mapping
        self.actor = job.created_by
        self.owners = OwnerDirectory(self.target.kind)
        self.picklists = {
            name: picklist.with_new(mapping.new_values.get(name, {}))
            for name, picklist in load_picklists(self.target).items()
        }
        # The match keys met so far, for in-file duplicates (open it around the import).
        self.seen = SeenKeys(job.pk)
        # Read up front: checking rows reads nothing from the database.
        self.custom_fields = custom_columns.RowFields(self.target, creating=not job.match_key)

    # ``check`` reads nothing from the database, so it may run in a helper process while
    # this one writes (``checking.py``). True where ``resolve`` needs no query.
    checks_without_database = False

    def check(self, rows: list[Row]) -> list[R | list[Issue]]:
        """Each row validated: what writing it needs, or why it cannot be written."""
        checked: list[R | list[Issue]] = []
        for row in rows:
            if row.problem:
                checked.append([Issue(row.line, "", row.problem)])
            else:
                checked.append(self.prepare(row))
        return checked

    def settle(self, checked: list[R | list[Issue]]) -> BatchOutcome[R]:
        """The checked rows of a batch, in file order: in-file duplicates skipped, matches
        with existing records found, and what is left to write."""
        outcome: BatchOutcome[R] = BatchOutcome()
        keys = ["" if isinstance(p, list) else self.dedupe_key(p) for p in checked]
        for prepared, key, first in zip(checked, keys, self.seen.first_time(keys), strict=True):
            if isinstance(prepared, list):
                outcome.reject(prepared)
                continue
            if not first:
                outcome.issues.append(
                    Issue(
                        prepared.line,
                        self.mapping.header_of(self.job.match_key or "email"),
                        f"Same {self.job.match_key or 'email'} as an earlier row of the "
                        "file: skipped.",
                        key[:255],
                        RowIssue.DUPLICATE_IN_FILE,
                    )
                )
                outcome.counts.skipped += 1
                continue
            outcome.creates.append(prepared)
        self.match(outcome)
        if not self.job.dry_run:
            outcome.writer = self.write
        return outcome

    def prepare(self, row: Row) -> R | list[Issue]:
        raise NotImplementedError

    def validated(self, row: Row) -> Prepared | list[Issue]:
        """The row mapped, its names resolved and validated by the target's input schema."""
        mapped, unmapped = mapped_values(self.mapping, row, self.picklists)
        values: dict[str, Any] = dict(mapped)
        custom_columns.fold(values)
        external_id = values.pop("external_id", "")
        created_at = None
        if created := values.pop("created_at", ""):
            created_at = parse_moment(created, str(self.mapping.options.get("date_order") or ""))
            if created_at is None:
                header = self.mapping.header_of("created_at")
                return [Issue(row.line, header, f"'{created}' is not a date.", created[:255])]
        owner = resolve_owner(self.owners, self.mapping, values, row)
        if isinstance(owner, Issue):
            return [*unmapped, owner]
        problem = None if unmapped else self.resolve(values, row)
        if problem is not None:
            return [problem]
        if owner is not None:
            values["owner_id"] = owner.pk
        data = validate(self.schema, values, self.mapping, row)
        if isinstance(data, list):
            return [*data, *unmapped]
        if unmapped:
            return unmapped
        if refused := self.custom_fields.clean(data):
            headers = {name: self.mapping.header_of(name) for name in refused}
            return [
                Issue(row.line, header, " ".join(refused[name]), row.values.get(header, "")[:255])
                for name, header in headers.items()
            ]
        return Prepared(row.line, data, owner, external_id, created_at)

    def resolve(self, values: dict[str, Any], row: Row) -> Issue | None:
        """Turn names into what the schema takes (keys, ids); an Issue when one is unknown."""
        return None

    def dedupe_key(self, prepared: R) -> str:
        """What makes two rows of the file the same record ('' for never)."""
        raise NotImplementedError

    def match_value(self, prepared: R) -> str:
        """The row's value of the job's match key."""
        raise NotImplementedError

    def existing_by_external_id(self, outcome: BatchOutcome[R]) -> dict[str, int]:
        ids = {p.external_id for p in outcome.creates} - {""}
        with index_probes():
            return dict(
                ExternalId.objects.filter(target=self.target)
                .filter(AnyOf("external_id", ids))
                .values_list("external_id", "record_id")
            )

    def match(self, outcome: BatchOutcome[R]) -> None:
        """Move the rows that match an existing visible record to ``updates``."""
        if not self.job.match_key:
            return
        found = self.find_existing(outcome)
        if not found:
            return
        with index_probes():
            visible = set(
                self.visible().filter(AnyOf("pk", set(found.values()))).values_list("pk", flat=True)
            )
        creates = []
        for prepared in outcome.creates:
            pk = found.get(self.match_value(prepared))
            if pk is not None and pk in visible:
                outcome.updates.append((prepared, pk))
            else:
                creates.append(prepared)
        outcome.creates = creates

    def find_existing(self, outcome: BatchOutcome[R]) -> dict[str, int]:
        return self.existing_by_external_id(outcome)

    def visible(self) -> Any:
        raise NotImplementedError

    def record_external_ids(self, pairs: list[tuple[str, int]]) -> None:
        """The other system's ids of the rows written, created or updated: a record matched
        by email learns its id, so a later file (activities, contacts) can name it by it. An
        id already recorded keeps the record it names."""
        rows = [ExternalId(target=self.target, external_id=e, record_id=pk) for e, pk in pairs if e]
        ExternalId.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)

    def write(self, outcome: BatchOutcome[R]) -> None:
        raise NotImplementedError


class RowImporter(Importer[Prepared]):
    """Rows validated into the target's input schema, written one by one by its services."""

    def prepare(self, row: Row) -> Prepared | list[Issue]:
        return self.validated(row)

    def dedupe_key(self, prepared: Prepared) -> str:
        return self.match_value(prepared)

    def match_value(self, prepared: Prepared) -> str:
        if self.job.match_key == "external_id":
            return prepared.external_id
        return email_key(str(getattr(prepared.data, "email", "") or ""))

    def write(self, outcome: BatchOutcome[Prepared]) -> None:
        """Row by row through the services, each in a savepoint, so a refused row rolls back
        alone and is reported."""
        created: list[tuple[str, int]] = []
        written: list[tuple[Prepared, int]] = []
        for prepared in outcome.creates:
            try:
                with transaction.atomic():
                    record = self.create(prepared)
            except DomainError as exc:
                outcome.reject(domain_issue(prepared, exc, self.mapping))
                continue
            outcome.counts.created += 1
            created.append((prepared.external_id, record.pk))
            written.append((prepared, record.pk))
        for prepared, pk in outcome.updates:
            try:
                with transaction.atomic():
                    self.update(prepared, pk)
            except DomainError as exc:
                outcome.reject(domain_issue(prepared, exc, self.mapping))
                continue
            outcome.counts.updated += 1
            written.append((prepared, pk))
            created.append((prepared.external_id, pk))  # matched by email: its id now known
        self.record_external_ids(created)
        outcome.issues.extend(self.link(written))

    def link(self, written: list[tuple[Prepared, int]]) -> list[Issue]:
        """Set the references the written records make to each other (none by default)."""
        return []

    def create(self, prepared: Prepared) -> Model:
        raise NotImplementedError

    def update(self, prepared: Prepared, pk: int) -> None:
        raise NotImplementedError


def domain_issue(prepared: CheckedRow, exc: DomainError, mapping: Mapping) -> list[Issue]:
    if not exc.errors:
        return [Issue(prepared.line, "", exc.detail)]
    return [
        Issue(prepared.line, mapping.header_of(name), " ".join(messages))
        for name, messages in exc.errors.items()
    ]


class AccountImporter(RowImporter):
    target = Target.ACCOUNTS
    schema = AccountCreate

    def __init__(self, job: ImportJob, mapping: Mapping) -> None:
        super().__init__(job, mapping)
        self.parents = ParentLinks(self.actor, mapping)

    def resolve(self, values: dict[str, Any], row: Row) -> Issue | None:
        self.parents.take(values, row.line)  # set once written (``link``)
        return None

    def link(self, written: list[tuple[Prepared, int]]) -> list[Issue]:
        return self.parents.link(written)

    def visible(self) -> Any:
        return Account.objects.visible_to(self.actor)

    def dedupe_key(self, prepared: Prepared) -> str:
        if self.job.match_key == "external_id":
            return prepared.external_id
        return normalize_company(str(getattr(prepared.data, "name", "")))

    match_value = dedupe_key

    def find_existing(self, outcome: BatchOutcome[Prepared]) -> dict[str, int]:
        if self.job.match_key == "external_id":
            return self.existing_by_external_id(outcome)
        names = [self.dedupe_key(p) for p in outcome.creates]
        return dict(
            self.visible().filter(normalized_name__in=names).values_list("normalized_name", "pk")
        )

    def create(self, prepared: Prepared) -> Model:
        return save_account(self.actor, prepared.data)  # type: ignore[arg-type]

    def update(self, prepared: Prepared, pk: int) -> None:
        changes = AccountChanges.model_validate(prepared.data.model_dump(exclude_unset=True))
        save_account(self.actor, changes, self.visible().get(pk=pk))


class _AccountByName:
    """Resolves an 'account' column to a visible account's id: by its name, or by the id it
    had in the system it was imported from (Salesforce's AccountId)."""

    mapping: Mapping
    actor: Any

    def account_id(self, values: dict[str, Any], row: Row) -> Issue | None:
        name = values.pop("account", "")
        if not name:
            return None
        visible = Account.objects.visible_to(self.actor)
        found = (
            visible.filter(normalized_name=normalize_company(name))
            .values_list("pk", flat=True)
            .first()
        )
        if found is None:
            imported = ExternalId.objects.filter(target=Target.ACCOUNTS, external_id=name)
            found = (
                visible.filter(pk__in=imported.values("record_id"))
                .values_list("pk", flat=True)
                .first()
            )
        if found is None:
            return Issue(
                row.line, self.mapping.header_of("account"), f"No account named '{name}'.", name
            )
        values["account_id"] = found
        return None


class ContactImporter(_AccountByName, RowImporter):
    target = Target.CONTACTS
    schema = ContactCreate

    def visible(self) -> Any:
        return Contact.objects.visible_to(self.actor)

    def resolve(self, values: dict[str, Any], row: Row) -> Issue | None:
        return self.account_id(values, row)

    def find_existing(self, outcome: BatchOutcome[Prepared]) -> dict[str, int]:
        if self.job.match_key == "external_id":
            return self.existing_by_external_id(outcome)
        emails = [self.match_value(p) for p in outcome.creates]
        return dict(self.visible().filter(email__in=emails).values_list("email", "pk"))

    def create(self, prepared: Prepared) -> Model:
        return save_contact(self.actor, prepared.data)  # type: ignore[arg-type]

    def update(self, prepared: Prepared, pk: int) -> None:
        changes = ContactChanges.model_validate(prepared.data.model_dump(exclude_unset=True))
        save_contact(self.actor, changes, self.visible().get(pk=pk))


class OpportunityImporter(_AccountByName, RowImporter):
    target = Target.OPPORTUNITIES
    schema = OpportunityCreate

    def __init__(self, job: ImportJob, mapping: Mapping) -> None:
        super().__init__(job, mapping)
        self.default_pipeline = Pipeline.default().key
        # Each pipeline's active stages by key and by folded label: a stage is looked up
        # within the row's pipeline (two pipelines may share a key or a label).
        self.stages: dict[tuple[str, str], Stage] = {}
        self.closing: dict[tuple[str, bool], Stage] = {}
        for stage in Stage.objects.filter(is_active=True).select_related("pipeline"):
            pipeline = stage.pipeline.key
            self.stages.setdefault((pipeline, fold(stage.label)), stage)
            self.stages[(pipeline, stage.key)] = stage
            if stage.is_closed:
                self.closing.setdefault((pipeline, stage.is_won), stage)

    def visible(self) -> Any:
        return Opportunity.objects.visible_to(self.actor)

    def dedupe_key(self, prepared: Prepared) -> str:
        return prepared.external_id

    def resolve(self, values: dict[str, Any], row: Row) -> Issue | None:
        pipeline = values.get("pipeline") or self.default_pipeline
        outcome = values.pop("deal_status", "")
        if outcome in ("won", "lost") and (pipeline, outcome == "won") in self.closing:
            # Pipedrive: a won or lost deal keeps the stage it was in; it lands closed.
            values["stage"] = self.closing[(pipeline, outcome == "won")].key
        if values.get("stage"):
            stage = self.stages.get((pipeline, values["stage"])) or self.stages.get(
                (pipeline, fold(values["stage"]))
            )
            if stage is None:
                header = self.mapping.header_of("stage")
                reason = f"No active stage '{values['stage']}' in the pipeline '{pipeline}'."
                return Issue(row.line, header, reason, values["stage"])
            values["stage"] = stage.key
            if stage.is_closed:  # they follow a closed stage (an export repeats them)
                values.pop("probability", None)
                values.pop("forecast_category", None)
            if not (stage.is_closed and not stage.is_won):
                values.pop("lost_reason", None)  # a default lost reason is for lost deals only
            elif not values.get("lost_reason"):
                # Said by the dry run too, which never reaches the service that refuses it.
                reason = (
                    "A lost deal needs a lost reason: map a column to lost_reason, or give "
                    "it a default in the mapping."
                )
                return Issue(row.line, self.mapping.header_of("stage"), reason, values["stage"])
        else:
            values.pop("lost_reason", None)
        return self.account_id(values, row)

    def create(self, prepared: Prepared) -> Model:
        draft = draft_from(self.actor, prepared.data)
        now = timezone.now()
        opportunity = open_opportunity(
            self.actor, draft, now=opened_at(draft, now, prepared.created_at)
        )
        if prepared.created_at is not None and prepared.created_at <= now:
            # The file's created date, as the other system had it (history.py).
            Opportunity.objects.filter(pk=opportunity.pk).update(created_at=prepared.created_at)
        return opportunity

    def update(self, prepared: Prepared, pk: int) -> None:
        changes = prepared.data.model_dump(exclude_unset=True, exclude={"pipeline"})
        change_opportunity(self.actor, self.visible().get(pk=pk), changes)
