"""axe-core (WCAG 2.1 A/AA) on every page a user opens, as an admin and as a rep: zero
serious or critical violations.

The page list is checked against the URL configuration: every named page is either in
``SCANS`` (how to open it, with which seeded record) or in ``NOT_PAGES`` (why it is no page
of its own: a POST action, a fragment scanned inside its page, a download). A new URL fails
``test_every_page_is_scanned_or_said_why_not`` until it is listed. Dialogs are scanned open
over their record's page, loaded by htmx as a click would load them.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest
from django.urls import get_resolver, reverse

from conftest import Company
from opportune.identity.models import User
from tests.browser.axe import Violation, page_violations, serious_violations
from tests.ui.test_visibility_everywhere import _patterns

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@dataclass(frozen=True)
class Scan:
    name: str  # namespace:name
    kwargs: dict[str, str] = field(default_factory=dict)  # URL parameter -> seeded record key
    literal: dict[str, str] = field(default_factory=dict)  # URL parameter -> fixed value
    over: str = ""  # a dialog: the URL name of the page it opens over (same kwargs)
    label: str = ""

    def url(self, records: dict[str, Any], name: str | None = None) -> str:
        kwargs: dict[str, Any] = {key: records[ref] for key, ref in self.kwargs.items()}
        kwargs.update(self.literal)
        return reverse(name or self.name, kwargs=kwargs or None)

    def __str__(self) -> str:
        return self.label or self.name


def _record(name: str, ref: str, **more: Any) -> Scan:
    return Scan(name, {"pk": ref}, **more)


SCANS: list[Scan] = [
    Scan("web:login"),  # scanned logged out
    Scan("web:settings"),
    Scan("web:shortcuts"),
    Scan("work:my_work"),
    Scan("leads:list"),
    Scan("leads:create"),
    _record("leads:detail", "lead_id", label="leads:detail[new]"),
    _record("leads:detail", "qualified_id", label="leads:detail[qualified]"),
    _record("leads:detail", "converted_id", label="leads:detail[converted]"),
    _record("leads:edit", "lead_id"),
    _record("leads:qualify", "lead_id"),
    _record("leads:status", "lead_id", over="leads:detail"),
    _record("leads:convert", "qualified_id", over="leads:detail"),
    Scan("opportunities:pipeline"),
    Scan("opportunities:pipeline_for", literal={"key": "sales"}),
    Scan("opportunities:list"),
    _record("opportunities:detail", "opportunity_id", label="opportunities:detail[open]"),
    _record("opportunities:detail", "won_id", label="opportunities:detail[won]"),
    _record("opportunities:detail", "lost_id", label="opportunities:detail[lost]"),
    _record("opportunities:edit", "opportunity_id"),
    _record("opportunities:close", "opportunity_id", over="opportunities:detail"),
    Scan("accounts:list"),
    Scan("accounts:create"),
    _record("accounts:detail", "account_id"),
    _record("accounts:edit", "account_id"),
    Scan("accounts:contacts"),
    Scan("accounts:contact_create"),
    _record("accounts:contact", "contact_id"),
    _record("accounts:contact_edit", "contact_id"),
    Scan("capture:duplicates"),
    _record("capture:lead_duplicates", "lead_id"),
    _record("capture:merged", "merge_id"),
    Scan("capture:web_forms"),
    Scan("capture:web_form_new"),
    _record("capture:web_form", "web_form_id"),
    Scan("imports:list"),
    _record("imports:detail", "job_id", label="imports:detail[dry run done]"),
    Scan("forecasting:forecast"),
    Scan("forecasting:predicted"),
    Scan("forecasting:backtest"),
    Scan("forecasting:analytics"),
    Scan("forecasting:pipeline"),
    Scan("audit:bin"),
    *[
        _record(f"audit:delete_{kind}", f"{kind}_id", over=over)
        for kind, over in (
            ("lead", "leads:detail"),
            ("account", "accounts:detail"),
            ("contact", "accounts:contact"),
            ("opportunity", "opportunities:detail"),
        )
    ],
    _record("privacy:erase_lead", "lead_id", over="leads:detail"),
    _record("privacy:erase_contact", "contact_id", over="accounts:contact"),
    Scan("identity:tokens"),
    Scan("webhooks:list"),
    _record("webhooks:detail", "subscription_id"),
    Scan("notifications:inbox"),
    Scan("notifications:preferences"),
    Scan("opportunities:new"),
    _record("opportunities:pipeline_move", "opportunity_id", over="opportunities:detail"),
    Scan("savedviews:create"),
    _record("savedviews:edit", "view_id"),
    Scan("search:results"),
    Scan("scoring:settings"),
]

# URL name -> why it is not a page of its own.
NOT_PAGES: dict[str, str] = {
    "web:home": "redirects to My work",
    "web:logout": "POST action",
    "web:worker_status": "fragment loaded into every page",
    "work:tasks": "fragment of My work",
    "leads:bulk": "POST action",
    "opportunities:column": "fragment of the pipeline (its columns load lazily)",
    "opportunities:move": "POST action (its lost-reason answer is the close dialog's form)",
    "activities:timeline": "fragment of every record page",
    "activities:log": "POST action of the record pages' quick-add form",
    "activities:done": "POST action",
    "audit:delete_activity": "same dialog template as the other kinds, scanned there",
    "audit:history_lead": "fragment of the History tab, loaded on a record page",
    "audit:history_account": "fragment of the History tab",
    "audit:history_contact": "fragment of the History tab",
    "audit:history_opportunity": "fragment of the History tab",
    "audit:history_activity": "fragment of the History tab",
    "audit:restore": "POST action",
    "audit:purge": "POST action",
    "capture:merge": "POST action of the duplicates pages",
    "capture:undo": "POST action",
    "imports:columns": "wizard step after an upload (tests/browser/test_import_wizard.py)",
    "imports:values": "wizard step after an upload (tests/browser/test_import_wizard.py)",
    "imports:draft_mapping": "JSON download",
    "imports:mapping": "JSON download",
    "imports:save_mapping": "POST action",
    "imports:remap": "POST action (back to the wizard)",
    "imports:resume": "POST action",
    "imports:run": "POST action",
    "imports:errors": "CSV download",
    "imports:export": "CSV download",
    "imports:export_xlsx": "xlsx download",
    "forecasting:fit": "POST action",
    "forecasting:quota": "POST action",
    "forecasting:adjustment": "POST action",
    "identity:issue_token": "POST action",
    "identity:revoke_token": "POST action",
    "privacy:export_lead": "JSON download",
    "privacy:export_contact": "JSON download",
    "webhooks:toggle": "POST action",
    "webhooks:delete": "POST action",
    "webhooks:redeliver": "POST action",
    "notifications:bell": "fragment loaded into every page's top bar",
    "notifications:open": "marks read and redirects to the record",
    "notifications:read": "POST action",
    "notifications:read_all": "POST action",
    "savedviews:update": "POST action",
    "savedviews:delete": "POST action",
    "savedviews:default": "POST action",
    "savedviews:bulk": "POST action of the lists' bulk bar",
    "savedviews:cell": "fragment: a list cell's inline editor",
    "inline:field": "fragment: a record page field's inline editor",
    "opportunities:undo": "POST action of the kanban's toast",
    "opportunities:roles": "POST action of the deal page's contact roles card",
    "opportunities:account_lookup": "fragment: the deal form's account lookup",
    "opportunities:contact_lookup": "fragment: the conversion dialog's contact lookup",
    "scoring:exclusions": "POST action of the lead scoring settings",
    "scoring:points": "POST action of the lead scoring settings",
    "scoring:rollback": "POST action of the lead scoring settings",
    "scoring:refit": "POST action of the lead scoring settings",
}


def test_every_page_is_scanned_or_said_why_not() -> None:
    names = {name for name, _ in _patterns(get_resolver().url_patterns)}
    scanned = {scan.name for scan in SCANS}
    assert not scanned & set(NOT_PAGES), "listed both as scanned and as no page"
    missing = names - scanned - set(NOT_PAGES)
    assert not missing, f"Scan these pages in SCANS, or say why not in NOT_PAGES: {missing}"
    assert not (scanned | set(NOT_PAGES)) - names, "listed pages that no longer exist"


def seed(company: Company) -> dict[str, Any]:
    """Alice's records in each state a page shows differently: a new, a qualified and a
    converted lead; an open, a won and a lost deal; a finished dry-run import; a merge;
    something in the recycle bin; a token, a web form, a webhook with a delivery."""
    from opportune.audit.bin import delete_record
    from opportune.capture.models import WebForm
    from opportune.imports.services import create_job, run_job, store_file
    from opportune.leads.conversion import convert_lead
    from opportune.leads.schemas import ConversionOptions
    from opportune.opportunities.models import LostReason
    from opportune.opportunities.services import close_opportunity
    from tests.api.records import alices_records

    records = alices_records(company)
    alice = company.alice
    records["qualified_id"] = company.qualified_lead(alice, last_name="Quinn").pk
    converted = company.qualified_lead(alice, last_name="Converted", company="Umbrella")
    convert_lead(alice, converted.pk, ConversionOptions(close_date=dt.date(2026, 12, 31)))
    records["converted_id"] = converted.pk
    won = company.opportunity(alice, name="Won deal")
    records["won_id"] = close_opportunity(alice, won, won=True).pk
    lost = company.opportunity(alice, name="Lost deal")
    reason = LostReason.objects.filter(is_active=True).first()
    assert reason is not None
    records["lost_id"] = close_opportunity(alice, lost, won=False, lost_reason_key=reason.key).pk
    path = store_file(io.BytesIO(b"LastName,Company,Email\nDoe,Initech,bad-email\nRoe,Acme,\n"))
    records["job_id"] = run_job(create_job(alice, "leads", path, "leads.csv", dry_run=True).pk).pk
    records["web_form_id"] = WebForm.objects.create(name="Contact us", created_by=company.ada).pk
    delete_record(alice, company.lead(alice, last_name="Binned"))
    _renewals_pipeline()  # a second pipeline, so a deal's "Move to pipeline" dialog opens
    return records


def _renewals_pipeline() -> None:
    from opportune.opportunities.models import Pipeline, Stage

    renewals = Pipeline.objects.create(key="renewals", name="Renewals")
    rows = [
        ("renewal_due", "Renewal due", 30, False, False),
        ("renewed", "Renewed", 100, True, True),
    ]
    for order, (key, label, probability, closed, won) in enumerate(rows):
        Stage.objects.create(
            pipeline=renewals,
            key=key,
            label=label,
            order=order,
            default_probability=probability,
            forecast_category="closed" if won else "pipeline",
            is_closed=closed,
            is_won=won,
        )


def scan_all(page: Page, records: dict[str, Any], scans: list[Scan]) -> dict[str, list[Violation]]:
    """Serious and critical violations per page (empty list: clean)."""
    found: dict[str, list[Violation]] = {}
    for scan in scans:
        if scan.over:
            page.goto(scan.url(records, scan.over))
            page.wait_for_load_state("networkidle")
            dialog_url = scan.url(records)
            with page.expect_response(lambda r, url=dialog_url: r.url.endswith(url)) as answer:  # type: ignore[misc]
                page.evaluate(
                    "url => htmx.ajax('GET', url, {target: '#dialog-content'})", dialog_url
                )
            if answer.value.ok:  # a refused dialog (a rep's erase) leaves the page and a toast
                page.locator("dialog[open]").wait_for()
        else:
            page.goto(scan.url(records))
            page.wait_for_load_state("networkidle")
        if scan.over:  # a dialog's page was scanned on its own, with its structure
            found[str(scan)] = serious_violations(page)
        else:
            serious, structure = page_violations(page)
            found[str(scan)] = serious + structure
    return found


def _report(found: dict[str, list[Violation]]) -> str:
    lines = []
    for name, items in found.items():
        serious = sum(len(v.targets) for v in items if v.impact == "serious")
        critical = sum(len(v.targets) for v in items if v.impact == "critical")
        other = sum(len(v.targets) for v in items if v.impact not in ("serious", "critical"))
        lines.append(f"{name}: serious {serious}, critical {critical}, structure {other}")
        lines += [f"    {v}" for v in items]
    return "\n".join(lines)


@pytest.mark.parametrize("role", ["admin", "rep"])
def test_every_page_has_no_serious_accessibility_violation(
    company: Company, open_browser: Callable[[User], Page], role: str
) -> None:
    records = seed(company)
    user = company.ada if role == "admin" else company.alice
    page = open_browser(user)
    found = scan_all(page, records, [s for s in SCANS if s.name != "web:login"])
    page.context.clear_cookies()
    found.update(scan_all(page, records, [s for s in SCANS if s.name == "web:login"]))
    print(f"\naxe as {role}:\n{_report(found)}")
    assert not any(found.values()), _report({k: v for k, v in found.items() if v})
