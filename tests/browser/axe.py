"""axe-core (WCAG 2.1 A/AA) on a Playwright page: the one check every browser test may call.

``axe-playwright-python`` ships axe-core's ``axe.min.js`` inside the wheel; it is evaluated in
the page through the DevTools protocol (no network, and the page's Content-Security-Policy
does not apply to it). Only serious and critical violations fail: minor and moderate ones
are printed by ``violations`` for whoever wants to read them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import Page

# The WCAG 2.1 A and AA rules (axe's own tags); best practices are left out.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
FAILING_IMPACTS = frozenset({"serious", "critical"})
# Page structure (axe's best practices, "moderate"): checked on every page too, any impact,
# so headings keep their order and landmarks stay unique.
STRUCTURE_RULES = [
    "heading-order",
    "landmark-unique",
    "landmark-one-main",
    "landmark-no-duplicate-main",
    "landmark-no-duplicate-banner",
    "landmark-no-duplicate-contentinfo",
    "landmark-complementary-is-top-level",
    "page-has-heading-one",
]


@dataclass(frozen=True)
class Violation:
    rule: str
    impact: str
    help: str
    targets: tuple[str, ...]

    def __str__(self) -> str:
        shown = ", ".join(self.targets[:5])
        more = f" (+{len(self.targets) - 5} more)" if len(self.targets) > 5 else ""
        return f"{self.rule} [{self.impact}] {self.help}: {len(self.targets)} x {shown}{more}"


def violations(
    page: Page,
    selector: str | None = None,
    rules: list[str] | None = None,
    extra_rules: dict[str, Any] | None = None,
) -> list[Violation]:
    """Every WCAG 2.1 A/AA violation axe finds in the page (or in ``selector`` only); with
    ``rules``, those axe rules instead; ``extra_rules`` (axe's ``rules`` option) turns
    more rules on beside the WCAG ones."""
    from axe_playwright_python.sync_playwright import Axe

    only = {"type": "rule", "values": rules} if rules else {"type": "tag", "values": WCAG_TAGS}
    options: dict[str, Any] = {"runOnly": only, "resultTypes": ["violations"]}
    if extra_rules:
        options["rules"] = extra_rules
    results = Axe().run(page, context=selector, options=options).response
    return [
        Violation(
            rule=found["id"],
            impact=found.get("impact") or "",
            help=found["help"],
            targets=tuple(
                " ".join(str(part) for part in node["target"]) for node in found["nodes"]
            ),
        )
        for found in results["violations"]
    ]


def page_violations(page: Page) -> tuple[list[Violation], list[Violation]]:
    """``serious_violations(page)`` and ``structure_violations(page)`` from one axe run: axe
    (570 kB) is injected and walks the page once, not twice."""
    rules = {rule: {"enabled": True} for rule in STRUCTURE_RULES}
    found = violations(page, extra_rules=rules)
    return (
        [v for v in found if v.rule not in rules and v.impact in FAILING_IMPACTS],
        [v for v in found if v.rule in rules],
    )


def serious_violations(page: Page, selector: str | None = None) -> list[Violation]:
    return [v for v in violations(page, selector) if v.impact in FAILING_IMPACTS]


def structure_violations(page: Page) -> list[Violation]:
    """Heading order and landmark problems of a whole page (any impact)."""
    return violations(page, rules=STRUCTURE_RULES)


def assert_no_serious_violations(page: Page, selector: str | None = None) -> None:
    """Fail naming each serious or critical violation: rule id, impact, help and targets."""
    found = serious_violations(page, selector)
    assert not found, f"axe on {page.url}:\n" + "\n".join(f"  {v}" for v in found)
