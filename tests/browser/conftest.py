"""Real headless Chromium (Debian's /usr/bin/chromium, never a downloaded browser) driven
by Playwright against pytest-django's live server."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.core.servers.basehttp import ThreadedWSGIServer
from django.db import connection
from django.test.testcases import LiveServerThread
from pytest_django import Settings

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize
    from pytest_django.live_server_helper import LiveServer

    from opportune.identity.models import User

# Playwright's sync API runs an event loop in this thread; Django's ORM calls in the test
# body are still synchronous and safe.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


class OneRequestAtATime(ThreadedWSGIServer):
    """The live server, answering one request at a time. With SQLite in memory, each of its
    threads uses the test's one connection (Django's ``connections_override``), and two
    statements at once on it hang both (Django's docs warn of it): the analytics pages ask
    for their reports side by side, the kanban for its columns. In production each thread
    has its own connection."""

    def set_app(self, application: WSGIApplication | None) -> None:
        assert application is not None
        lock = threading.Lock()

        def one_at_a_time(environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
            with lock:  # the body is read inside: a streamed one reads the database too
                response = application(environ, start_response)
                try:
                    return [b"".join(response)]
                finally:
                    close = getattr(response, "close", None)
                    if close is not None:
                        close()

        super().set_app(one_at_a_time)


LiveServerThread.server_class = OneRequestAtATime

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Wide enough for every column of the default pipeline, so drags need no scrolling.
VIEWPORT: ViewportSize = {"width": 2300, "height": 1000}
PASSWORD = "correct-horse-battery"  # the password of every user of the `company` fixture


@pytest.fixture
def chromium(db: None) -> Iterator[Browser]:
    """A browser per test, started after the database is set up and stopped before it is
    flushed: while Playwright's event loop runs in this thread, Django hands out a separate
    connection object, which would miss the migrations' data restored between tests."""
    if not CHROMIUM.exists():
        pytest.skip(f"Debian's chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    if connection.vendor != "sqlite" and not os.environ.get("OPPORTUNE_BROWSER_TESTS_ON_ALL"):
        # The pages are the same whatever the database: the browser runs once, on the SQLite
        # pass; the PostgreSQL pass tests the database's semantics through every other test
        # (OPPORTUNE_BROWSER_TESTS_ON_ALL=1 runs the browser there too).
        pytest.skip("browser tests run on the SQLite pass (OPPORTUNE_BROWSER_TESTS_ON_ALL=1)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def open_browser(
    chromium: Browser, live_server: LiveServer, settings: Settings
) -> Iterator[Callable[[User], Page]]:
    """``open_browser(user)``: a fresh browser context logged in as ``user``; returns its page."""
    # The live server serves static files from the finders, not from a collected manifest.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    contexts: list[BrowserContext] = []

    def login(user: User) -> Page:
        context = chromium.new_context(base_url=live_server.url, viewport=VIEWPORT)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.goto("/login/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/my-work/")
        return page

    yield login
    for context in contexts:
        context.close()
