"""Screenshots of the main pages, for looking at the UI without setting anything up.

    python benchmarks/screenshots.py [--out screenshots] [--size small]

Builds a throw-away installation in a temporary directory (SQLite, the small demo data
set), serves it from a thread, drives Debian's headless Chromium with Playwright and saves
the lead list, a lead page, the convert dialog, the kanban and an opportunity page.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _setup(data_dir: str) -> None:
    os.environ["OPPORTUNE_DATA_DIR"] = data_dir
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opportune.settings")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs a loop
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.conf import settings

    # Static files come straight from the apps (no collectstatic, no manifest).
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)


def _pick_records(username: str) -> dict[str, int]:
    """An open lead, a lead with duplicate candidates to convert, an opportunity with history."""
    from django.db.models import Count

    from opportune.identity.models import User
    from opportune.leads.conversion import conversion_candidates
    from opportune.leads.models import Lead
    from opportune.opportunities.models import Opportunity

    user = User.objects.get(username=username)
    leads = Lead.objects.visible_to(user).filter(is_converted=False, status__is_closed=False)
    lead = leads.annotate(n=Count("activities")).order_by("-n", "-pk").first()
    to_convert = None
    for candidate in leads.filter(budget_confirmed=True).order_by("-pk")[:200]:
        if conversion_candidates(user, candidate).accounts:
            to_convert = candidate
            break
    to_convert = to_convert or leads.filter(budget_confirmed=True).first() or lead
    opportunity = (
        Opportunity.objects.visible_to(user)
        .filter(is_closed=False)
        .annotate(n=Count("history"))
        .order_by("-n", "-pk")
        .first()
    )
    assert lead and to_convert and opportunity, "the demo data lacks records to show"
    return {"lead": lead.pk, "convert": to_convert.pk, "opportunity": opportunity.pk}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(ROOT / "screenshots"))
    parser.add_argument("--size", default="small", choices=["small", "large"])
    parser.add_argument("--width", type=int, default=1440)
    parser.add_argument("--height", type=int, default=900)
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing: apt-get install chromium", file=sys.stderr)
        return 1
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory(prefix="opportune-shots-") as data_dir:
        started = time.monotonic()
        _setup(data_dir)
        from django.contrib.staticfiles.handlers import StaticFilesHandler
        from django.test.testcases import LiveServerThread
        from playwright.sync_api import sync_playwright

        from opportune.demo import load_demo

        login = load_demo(seed=7, size=args.size)
        username, password = login.manager
        records = _pick_records(username)
        print(f"demo data ready in {time.monotonic() - started:.1f}s; logged in as {username}")

        server = LiveServerThread("127.0.0.1", StaticFilesHandler, port=0)
        server.daemon = True
        server.start()
        server.is_ready.wait()
        if server.error:
            raise server.error
        base = f"http://127.0.0.1:{server.port}"
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
                )
                page = browser.new_page(viewport={"width": args.width, "height": args.height})
                page.on("console", lambda m: m.type == "error" and print("console:", m.text))
                page.goto(f"{base}/login/")
                page.fill("#id_username", username)
                page.fill("#id_password", password)
                page.click("button[type=submit]")
                page.wait_for_url(f"{base}/my-work/")
                shots = [
                    ("my_work", "/my-work/", None),
                    ("lead_list", "/leads/", None),
                    ("lead_page", f"/leads/{records['lead']}/", None),
                    ("convert_dialog", f"/leads/{records['convert']}/", "#convert-button"),
                    ("kanban", "/pipeline/", None),
                    ("opportunity_page", f"/opportunities/{records['opportunity']}/", None),
                    ("accounts", "/accounts/", None),
                ]
                for name, path, click in shots:
                    page.goto(base + path)
                    page.wait_for_load_state("networkidle")
                    if click:
                        page.click(click)
                        page.wait_for_selector("dialog[open]")
                        page.wait_for_timeout(200)
                    target = out / f"{name}.png"
                    page.screenshot(
                        path=str(target), full_page=name in {"lead_page", "opportunity_page"}
                    )
                    print(f"saved {target}")
                phone = browser.new_page(viewport={"width": 390, "height": 844})
                phone.context.add_cookies(page.context.cookies())
                for name, path in (
                    ("phone_lead_page", f"/leads/{records['lead']}/"),
                    ("phone_kanban", "/pipeline/"),
                ):
                    phone.goto(base + path)
                    phone.wait_for_load_state("networkidle")
                    phone.screenshot(path=str(out / f"{name}.png"))
                    print(f"saved {out / name}.png")
                browser.close()
        finally:
            server.terminate()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
