"""The pipeline by touch on a 390 px phone and by keyboard, and every main page within a
360 px screen: what issue 14 found broken (no touch drag, a stage select hidden after a
tap, won/lost 4,000 px down, 67 tabs to the second column, focus lost after a move, no
confirmation nor undo on won, pages wider than the phone)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, expect
from pytest_django import Settings

from conftest import Company
from opportune.identity.models import Role, User
from opportune.opportunities.models import Opportunity, OpportunityHistory, Stage
from tests.browser.conftest import PASSWORD

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext
    from pytest_django.live_server_helper import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def open_phone(
    chromium: Browser, live_server: LiveServer, settings: Settings
) -> Iterator[Callable[[User, int], Page]]:
    """``open_phone(user, width)``: a touch, mobile browser context ``width`` px wide,
    logged in as ``user``."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    contexts: list[BrowserContext] = []

    def login(user: User, width: int = PHONE["width"]) -> Page:
        context = chromium.new_context(
            base_url=live_server.url,
            viewport={"width": width, "height": PHONE["height"]},
            has_touch=True,
            is_mobile=True,
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.goto("/login/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").tap()
        page.wait_for_url("**/my-work/")
        return page

    yield login
    for context in contexts:
        context.close()


def _stage(opportunity: Opportunity, key: str) -> Stage:
    return Stage.objects.get(pipeline=opportunity.pipeline, key=key)


def _focused_id(page: Page) -> str:
    focused: str = page.evaluate("document.activeElement && document.activeElement.id")
    return focused


def test_a_tap_on_move_to_and_a_stage_moves_the_card_on_a_phone(
    company: Company, open_phone: Callable[[User, int], Page]
) -> None:
    deal = company.opportunity(company.alice, name="Phone deal")
    page = open_phone(company.alice, PHONE["width"])
    page.goto("/pipeline/")
    card = page.locator(f"#deal-{deal.pk}")
    card.get_by_role("button", name="Move to…").tap()
    picker = page.locator("#move-picker")
    assert picker.get_by_role("heading").inner_text() == "Move Phone deal to…"
    picker.get_by_role("button", name="Proposal / price quote").tap()
    proposal = _stage(deal, "proposal")
    page.locator(f"#cards-{proposal.pk} #deal-{deal.pk}").wait_for()
    assert Opportunity.objects.get(pk=deal.pk).stage_id == proposal.pk
    # The toast follows the card's swap: wait for it (auto-retrying), don't read it at once.
    expect(page.locator("#toast")).to_have_text(re.compile(r"^Phone deal moved to Proposal"))
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_won_and_lost_are_on_screen_without_scrolling_on_a_phone(
    company: Company, open_phone: Callable[[User, int], Page]
) -> None:
    for number in range(12):  # a long first column, as on the demo data
        company.opportunity(company.alice, name=f"Deal {number}")
    page = open_phone(company.alice, PHONE["width"])
    page.goto("/pipeline/")
    page.locator(".deal").first.wait_for()
    for zone in (".dropzone.won", ".dropzone.lost"):
        box = page.locator(zone).bounding_box()
        assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"]
    card = page.locator(".deal").first
    assert card.locator("[data-move-to=closed_won]").is_visible()
    assert card.locator("[data-move-to=closed_lost]").is_visible()


def test_won_by_tap_asks_to_confirm_and_undo_reopens_the_deal(
    company: Company, open_phone: Callable[[User, int], Page]
) -> None:
    deal = company.opportunity(company.alice, name="Won deal", amount=Decimal("5000"))
    page = open_phone(company.alice, PHONE["width"])
    page.goto("/pipeline/")
    page.get_by_role("button", name="Won: Won deal", exact=True).tap()
    dialog = page.locator("#dialog[open]")
    dialog.get_by_text("Close Won deal as won?").wait_for()
    assert Opportunity.objects.get(pk=deal.pk).is_closed is False  # nothing until confirmed
    dialog.get_by_label("Amount").fill("5500")
    dialog.get_by_role("button", name="Mark as won").tap()
    page.locator(f"#deal-{deal.pk}").wait_for(state="detached")
    won = Opportunity.objects.get(pk=deal.pk)
    assert won.is_won and won.amount == Decimal("5500")

    toast = page.locator("#toast .toast").last
    expect(toast).to_have_text(re.compile(r"^Won deal closed won\."))
    toast.get_by_role("button", name="Undo").tap()
    prospecting = _stage(deal, "prospecting")
    page.locator(f"#cards-{prospecting.pk} #deal-{deal.pk}").wait_for()
    reopened = Opportunity.objects.get(pk=deal.pk)
    assert not reopened.is_closed and reopened.amount == Decimal("5000")
    assert OpportunityHistory.objects.filter(opportunity=deal).count() == 3
    assert _focused_id(page) == f"deal-{deal.pk}"


def test_lost_by_tap_asks_for_the_reason(
    company: Company, open_phone: Callable[[User, int], Page]
) -> None:
    deal = company.opportunity(company.alice, name="Lost deal")
    page = open_phone(company.alice, PHONE["width"])
    page.goto("/pipeline/")
    page.get_by_role("button", name="Lost: Lost deal", exact=True).tap()
    dialog = page.locator("#dialog[open]")
    dialog.get_by_text("Why was Lost deal lost?").wait_for()
    dialog.get_by_label("Lost reason").select_option(label="Lost to competitor")
    dialog.get_by_role("button", name="Mark as lost").tap()
    page.locator(f"#deal-{deal.pk}").wait_for(state="detached")
    lost = Opportunity.objects.get(pk=deal.pk)
    assert lost.is_closed and not lost.is_won


def test_a_touch_drag_onto_won_asks_to_confirm(
    company: Company, open_phone: Callable[[User, int], Page]
) -> None:
    deal = company.opportunity(company.alice, name="Dragged deal")
    page = open_phone(company.alice, PHONE["width"])
    page.goto("/pipeline/")
    card = page.locator(f"#deal-{deal.pk}")
    card.wait_for()
    start = card.locator(".deal-account").bounding_box()
    target = page.locator(".dropzone.won").bounding_box()
    assert start is not None and target is not None
    x, y = start["x"] + 10, start["y"] + 5
    cdp = page.context.new_cdp_session(page)

    def touch(kind: str, at: tuple[float, float] | None = None) -> None:
        points = [{"x": at[0], "y": at[1]}] if at else []
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    touch("touchStart", (x, y))
    page.locator(f"#deal-{deal.pk}.deal-chosen").wait_for()  # SortableJS's press-and-hold
    to = (target["x"] + target["width"] / 2, target["y"] + target["height"] / 2)
    for step in range(1, 11):
        touch("touchMove", (x + (to[0] - x) * step / 10, y + (to[1] - y) * step / 10))
    touch("touchEnd")
    page.locator("#dialog[open]").get_by_text("Close Dragged deal as won?").wait_for()
    page.locator("#dialog[open]").get_by_role("button", name="Mark as won").tap()
    page.locator(f"#deal-{deal.pk}").wait_for(state="detached")
    assert Opportunity.objects.get(pk=deal.pk).is_won


def test_the_keyboard_reaches_column_two_in_two_tabs_and_keeps_focus_on_the_moved_card(
    company: Company, open_phone: Callable[[User, int], Page]
) -> None:
    first = company.opportunity(company.alice, name="First column deal")
    for number in range(30):  # many cards and controls in column one
        company.opportunity(company.alice, name=f"Filler {number}")
    second = company.opportunity(
        company.alice, name="Second column deal", stage_key="qualification"
    )
    page = open_phone(company.alice, 1600)
    page.goto("/pipeline/")
    page.locator(f"#deal-{second.pk}").wait_for()
    page.locator(f"#deal-{first.pk}").wait_for()
    page.get_by_label("Close date").focus()  # the last control before the board
    tabs = 0
    while _focused_id(page) != f"deal-{second.pk}" and tabs < 10:
        page.keyboard.press("Tab")
        tabs += 1
    assert tabs <= 3, f"{tabs} tabs to the second column's card"

    page.keyboard.press("ArrowLeft")  # arrows move between columns
    assert _focused_id(page) == page.locator("#board .cards").first.locator(
        ".deal"
    ).first.get_attribute("id")
    page.keyboard.press("ArrowRight")
    assert _focused_id(page) == f"deal-{second.pk}"

    page.keyboard.press("Enter")  # the picker opens on the next stage
    picker = page.locator("#move-picker[open]")
    picker.wait_for()
    focused = page.evaluate("document.activeElement.dataset.pickStage")
    assert focused == _next_stage_key(second)
    page.keyboard.press("Enter")
    target = Stage.objects.get(pipeline=second.pipeline, key=focused)
    page.locator(f"#cards-{target.pk} #deal-{second.pk}").wait_for()
    expect(page.locator(f"#deal-{second.pk}")).to_be_focused()
    assert (
        page.locator("#toast")
        .inner_text()
        .startswith(f"Second column deal moved to {target.label}")
    )
    assert Opportunity.objects.get(pk=second.pk).stage_id == target.pk

    page.keyboard.press("u")  # undo from the keyboard
    qualification = _stage(second, "qualification")
    page.locator(f"#cards-{qualification.pk} #deal-{second.pk}").wait_for()
    expect(page.locator(f"#deal-{second.pk}")).to_be_focused()
    assert Opportunity.objects.get(pk=second.pk).stage_id == qualification.pk


def _next_stage_key(opportunity: Opportunity) -> str:
    stages = list(Stage.objects.filter(pipeline=opportunity.pipeline, is_active=True))
    keys = [s.key for s in stages]
    return keys[keys.index(opportunity.stage.key) + 1]


PAGES = [
    "/my-work/",
    "/leads/",
    "lead",
    "/pipeline/",
    "/opportunities/",
    "opportunity",
    "/accounts/",
    "account",
    "/contacts/",
    "/forecast/",
    "/analytics/",
    "/analytics/pipeline/",
    "/imports/",
    "/settings/",
]


def test_no_main_page_is_wider_than_a_360_px_phone_on_demo_data(
    db: None, open_phone: Callable[[User, int], Page]
) -> None:
    from opportune.demo import load_demo
    from opportune.leads.models import Lead

    load_demo(seed=1, size="small")
    admin = User.objects.create_user(username="phoneadmin", password=PASSWORD, role=Role.ADMIN)
    long_name = "X" * 80  # one unbroken 80-character name, on a lead and on a deal
    lead = Lead.objects.order_by("-pk").first()
    deal = (
        Opportunity.objects.filter(is_closed=False, pipeline__is_default=True)
        .order_by("-pk")
        .first()
    )
    assert lead is not None and deal is not None
    Lead.objects.filter(pk=lead.pk).update(last_name=long_name, company=long_name)
    Opportunity.objects.filter(pk=deal.pk).update(name=long_name)
    records = {
        "lead": f"/leads/{lead.pk}/",
        "opportunity": f"/opportunities/{deal.pk}/",
        "account": f"/accounts/{deal.account_id}/",
    }
    page = open_phone(admin, 360)
    wide = {}
    for path in PAGES:
        path = records.get(path, path)
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        page.wait_for_load_state("networkidle")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 360:
            wide[path] = width
    assert wide == {}

    # The long name wraps on its kanban card; the close date stays in sight.
    page.goto("/pipeline/")
    card = page.locator(f"#deal-{deal.pk}")
    card.wait_for()
    date = card.locator(".close-date").bounding_box()
    box = card.bounding_box()
    assert date is not None and box is not None
    assert date["x"] + date["width"] <= box["x"] + box["width"]
