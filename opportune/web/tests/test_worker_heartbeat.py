"""Pages say when no worker is running: to admins always, to anyone while jobs wait for one
(an import started in the UI would otherwise sit "Queued" forever). Each page loads the
warning after itself from /worker-status/, so pages pay no query for it."""

from __future__ import annotations

import argparse
import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from conftest import Company
from opportune import cli, heartbeat
from opportune.housekeeping import housekeeping
from opportune.identity.models import User
from opportune.web.models import WorkerBeat
from opportune.web.testing import plain_static_files  # noqa: F401

WARNING = "No worker is running"


def _page(client: Client) -> str:
    return client.get("/worker-status/").content.decode()


def _as(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def test_an_admin_is_told_when_no_worker_has_beaten_for_a_minute(
    company: Company, client: Client
) -> None:
    client = _as(client, company.ada)
    assert WARNING in _page(client)
    heartbeat.beat(timezone.now() - dt.timedelta(seconds=70), "old-host:1")
    assert "last seen 1" in _page(client)  # "1 minute ago"
    heartbeat.beat(timezone.now() - dt.timedelta(seconds=5), "host:2")
    assert WARNING not in _page(client)


def test_others_are_told_only_while_jobs_wait_for_a_worker(
    company: Company, client: Client
) -> None:
    client = _as(client, company.alice)
    assert WARNING not in _page(client)
    housekeeping.using(run_after=timezone.now() + dt.timedelta(hours=1)).enqueue()
    assert WARNING not in _page(client)  # scheduled for later: nothing waits yet
    housekeeping.enqueue()
    assert "1 background job waiting" in _page(client)


def test_every_page_loads_the_warning_after_itself(company: Company, client: Client) -> None:
    page = _as(client, company.alice).get("/leads/").content.decode()
    assert 'hx-get="/worker-status/" hx-trigger="load"' in page


def test_a_beat_replaces_the_worker_s_own_and_forgets_workers_silent_for_a_day(
    db: None,
) -> None:
    now = timezone.now()
    heartbeat.beat(now - dt.timedelta(days=2), "gone:1")
    heartbeat.beat(now - dt.timedelta(seconds=30), "host:7")
    heartbeat.beat(now, "host:7")
    assert list(WorkerBeat.objects.values_list("name", "seen_at")) == [("host:7", now)]
    assert heartbeat.missing(now) == (False, now)
    assert heartbeat.missing(now + dt.timedelta(seconds=61)) == (True, now)


def test_serve_with_worker_starts_a_worker_before_the_server(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[str] = []
    monkeypatch.setattr(cli, "start_worker", lambda: started.append("worker"))
    monkeypatch.setattr("os.execv", lambda path, argv: started.append("server"))
    monkeypatch.setattr(cli, "_unapplied_migrations", lambda: 0)
    monkeypatch.setattr(cli, "_collectstatic", lambda: None)
    parser = cli.build_parser()
    args = parser.parse_args(["serve", "--with-worker"])
    assert isinstance(args, argparse.Namespace)
    cli.cmd_serve(args)
    assert started == ["worker", "server"]
    started.clear()
    cli.cmd_serve(parser.parse_args(["serve"]))
    assert started == ["server"]
