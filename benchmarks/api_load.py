"""Opportune's API under concurrent load, next to a bare WSGI endpoint on the same machine.

    python benchmarks/api_load.py [--clients 32] [--duration 60] [--databases sqlite,postgresql]
                                  [--pg-workers 3] [--threads 8] [--pg-url URL]

For each database: a fresh database (SQLite in a temporary directory; PostgreSQL database
``opportune_ops_bench``, dropped and created) with 32 sales reps owning 150 leads and 10
deals each, served by gunicorn as ``opportune serve`` does (SQLite: one process with
threads; PostgreSQL: several processes). N clients, each a rep with its own token and a
keep-alive connection, run a mixed workload for the duration: list leads 35%, get a lead
20%, list deals 10%, change a lead 15%, create a lead 10%, move a deal to another stage
10%. Then the same clients run against two baselines under the same gunicorn settings:
``bare_wsgi.py`` (one indexed SELECT by primary key per request, no Django) and
``bare_django.py`` (the same query in one Django view behind Opportune's settings and
middleware). Printed: requests, errors, throughput and p50/p95/p99 latency for the API, its
writes alone, and each baseline, with the API's throughput as a fraction of the bare
WSGI endpoint's (``ratio``) and of the Django view's (``vs django``).

Clients run in several processes (threads within each), so the client side does not
serialize on one interpreter lock; they share the machine's cores with the server, as the
baseline's do.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
REPS = 32
LEADS_PER_REP = 150
DEALS_PER_REP = 10
MIX = [
    ("list leads", 35),
    ("get lead", 20),
    ("list deals", 10),
    ("change lead", 15),
    ("create lead", 10),
    ("move deal", 10),
]
WRITES = {"change lead", "create lead", "move deal"}


# --- preparing a database (run in a child process with DATABASE_URL set) --------------------


def prepare() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opportune.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    from opportune.accounts.models import Account
    from opportune.identity.models import ApiToken, Role, Team, TokenScope, User
    from opportune.leads.models import Lead, LeadStatus
    from opportune.opportunities.models import Pipeline
    from opportune.opportunities.services import OpportunityDraft, open_opportunity

    call_command("migrate", verbosity=0)
    team = Team.objects.create(name="Bench")
    status = LeadStatus.objects.get(key="new")
    pipeline = Pipeline.default()
    stages = list(pipeline.stages.filter(is_closed=False).values_list("key", flat=True))
    clients = []
    for n in range(REPS):
        rep = User.objects.create_user(username=f"rep{n}", role=Role.SALES_REP, team=team)
        _, token = ApiToken.issue(rep, "bench", TokenScope.WRITE)
        leads = [
            Lead(
                first_name=f"First{n}",
                last_name=f"Lead {n}-{i}",
                company=f"Company {i}",
                email=f"lead{n}-{i}@example.com",
                status=status,
                owner=rep,
            )
            for i in range(LEADS_PER_REP)
        ]
        for lead in leads:
            lead.fill_match_keys()
        created = Lead.objects.bulk_create(leads)
        account = Account.objects.create(name=f"Account {n}", owner=rep)
        deals = [
            open_opportunity(
                rep,
                OpportunityDraft(
                    name=f"Deal {n}-{i}",
                    account=account,
                    owner=rep,
                    pipeline=pipeline,
                    close_date=dt.date(2027, 3, 31),
                    amount=Decimal("1000"),
                ),
            ).pk
            for i in range(DEALS_PER_REP)
        ]
        clients.append({"token": token, "leads": [lead.pk for lead in created], "deals": deals})
    max_id = Lead.objects.order_by("-pk").values_list("pk", flat=True).first()
    print(json.dumps({"clients": clients, "stages": stages, "max_lead_id": max_id}))


# --- the load ---------------------------------------------------------------------------------


def _client_thread(
    port: int,
    plan: dict[str, Any] | None,
    max_id: int,
    stages: list[str],
    warmup_until: float,
    until: float,
    seed: int,
    out: list[tuple[str, int, float]],
) -> None:
    rng = random.Random(seed)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Content-Type": "application/json"}
    if plan:
        headers["Authorization"] = f"Bearer {plan['token']}"
    kinds = [k for k, _ in MIX]
    weights = [w for _, w in MIX]
    n = 0
    while True:
        now = time.perf_counter()
        if now >= until:
            break
        body: dict[str, Any] | None = None
        if plan is None:
            kind, method, path = "bare", "GET", f"/?id={rng.randint(1, max_id)}"
        else:
            kind = rng.choices(kinds, weights)[0]
            lead = rng.choice(plan["leads"])
            deal = rng.choice(plan["deals"])
            method, path = {
                "list leads": ("GET", "/api/v1/leads?limit=50"),
                "get lead": ("GET", f"/api/v1/leads/{lead}"),
                "list deals": ("GET", "/api/v1/opportunities?limit=50"),
                "change lead": ("PATCH", f"/api/v1/leads/{lead}"),
                "create lead": ("POST", "/api/v1/leads"),
                "move deal": ("PATCH", f"/api/v1/opportunities/{deal}"),
            }[kind]
            n += 1
            body = {
                "change lead": {"title": f"Title {n}"},
                "create lead": {"last_name": f"New {seed}-{n}", "company": "Bench Inc"},
                "move deal": {"stage": rng.choice(stages)},
            }.get(kind)
        data = json.dumps(body).encode() if body is not None else None
        started = time.perf_counter()
        try:
            connection.request(method, path, body=data, headers=headers)
            response = connection.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            status = 0
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        if started >= warmup_until:
            out.append((kind, status, time.perf_counter() - started))
    connection.close()


def run_clients(
    port: int,
    plans: list[dict[str, Any] | None],
    max_id: int,
    stages: list[str],
    start_at: float,
    warmup: float,
    duration: float,
) -> list[tuple[str, int, float]]:
    """One process's clients, each on a thread; returns (kind, status, seconds) per request
    made after the warm-up."""
    out: list[tuple[str, int, float]] = []
    # perf_counter is per process: agree on the start through the wall clock.
    delay = max(0.0, start_at - time.time())
    time.sleep(delay)
    base = time.perf_counter()
    threads = [
        threading.Thread(
            target=_client_thread,
            args=(
                port,
                plan,
                max_id,
                stages,
                base + warmup,
                base + warmup + duration,
                hash((port, i, start_at)) & 0xFFFF,
                out,
            ),
        )
        for i, plan in enumerate(plans)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(port: int, process: subprocess.Popen[bytes]) -> None:
    for _ in range(600):
        if process.poll() is not None:
            raise SystemExit(f"the server exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the server did not start")


def serve(app: str, env: dict[str, str], workers: int, threads: int) -> tuple[Any, int]:
    port = _free_port()
    argv = [
        sys.executable, "-m", "gunicorn", app, "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers), "--worker-class", "gthread", "--threads", str(threads),
        "--no-control-socket", "--timeout", "120", "--keep-alive", "75",
        "--pythonpath", f"{ROOT},{ROOT / 'benchmarks'}",
    ]  # fmt: skip
    process = subprocess.Popen(
        argv, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _wait_for(port, process)
    return process, port


def load(
    port: int,
    plans: list[dict[str, Any] | None],
    max_id: int,
    stages: list[str],
    args: argparse.Namespace,
) -> list[tuple[str, int, float]]:
    processes = min(args.processes, len(plans))
    shares = [plans[i::processes] for i in range(processes)]
    start_at = time.time() + 1.0
    with ProcessPoolExecutor(processes) as pool:
        futures = [
            pool.submit(run_clients, port, share, max_id, stages, start_at, args.warmup,
                        args.duration)
            for share in shares
        ]  # fmt: skip
        return [row for future in futures for row in future.result()]


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return (
        statistics.quantiles(values, n=100, method="inclusive")[q - 1]
        if len(values) > 1
        else values[0]
    )


def summary(rows: list[tuple[str, int, float]], duration: float) -> dict[str, Any]:
    times = [t for _, _, t in rows]
    errors = [s for _, s, _ in rows if not 200 <= s < 300]
    return {
        "requests": len(rows),
        "errors": len(errors),
        "error_codes": sorted(set(errors)),
        "rps": len(rows) / duration,
        "p50": _percentile(times, 50) * 1000,
        "p95": _percentile(times, 95) * 1000,
        "p99": _percentile(times, 99) * 1000,
        "max": max(times) * 1000 if times else float("nan"),
    }


# --- one database -----------------------------------------------------------------------------


def _pg_reset(url: str) -> None:
    import psycopg
    from psycopg import sql

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def bench(database: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    data_dir = tempfile.mkdtemp(prefix="opportune-load-")
    if database == "sqlite":
        url = f"sqlite:///{data_dir}/opportune.sqlite3"
        workers = 1
    else:
        url = args.pg_url
        _pg_reset(url)
        workers = args.pg_workers
    env = dict(os.environ)
    env.update(
        DATABASE_URL=url,
        OPPORTUNE_DATA_DIR=data_dir,
        DJANGO_SETTINGS_MODULE="opportune.settings",
        OPPORTUNE_ALLOWED_HOSTS="127.0.0.1,localhost",
        OPPORTUNE_API_RATE_PER_MINUTE="100000",  # counted, never binding
        OPPORTUNE_LOG_LEVEL="WARNING",
    )
    prepared = subprocess.run(
        [sys.executable, __file__, "--prepare"], env=env, cwd=ROOT, capture_output=True,
        text=True, check=True,
    )  # fmt: skip
    setup = json.loads(prepared.stdout.strip().splitlines()[-1])
    plans: list[dict[str, Any]] = [
        setup["clients"][i % len(setup["clients"])] for i in range(args.clients)
    ]
    results = []
    server, port = serve("opportune.wsgi:application", env, workers, args.threads)
    try:
        rows = load(port, plans, setup["max_lead_id"], setup["stages"], args)
    finally:
        server.terminate()
        server.wait()
    api = summary(rows, args.duration)
    writes = summary([r for r in rows if r[0] in WRITES], args.duration)
    baselines = {}
    for target, app, settings_module in (
        ("bare WSGI, 1 query", "bare_wsgi:application", "opportune.settings"),
        ("Django view, 1 query", "opportune.wsgi:application", "bare_django"),
    ):
        server, port = serve(app, {**env, "DJANGO_SETTINGS_MODULE": settings_module}, workers,
                             args.threads)  # fmt: skip
        try:
            rows = load(port, [None] * args.clients, setup["max_lead_id"], [], args)
        finally:
            server.terminate()
            server.wait()
        baselines[target] = summary(rows, args.duration)
    bare = baselines["bare WSGI, 1 query"]
    django_view = baselines["Django view, 1 query"]
    label = f"{database} ({workers} worker{'s' if workers > 1 else ''} x {args.threads} threads)"
    results.append(
        {"database": label, "target": "API, mixed", **api, "ratio": api["rps"] / bare["rps"],
         "vs_django": api["rps"] / django_view["rps"]}
    )  # fmt: skip
    results.append({"database": label, "target": "  of which writes", **writes, "ratio": None})
    for target, figures in baselines.items():
        results.append(
            {"database": label, "target": target, **figures,
             "ratio": figures["rps"] / bare["rps"]}
        )  # fmt: skip
    if database == "sqlite":
        shutil.rmtree(data_dir, ignore_errors=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds measured")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds not measured")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--pg-workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--processes", type=int, default=4, help="client processes")
    parser.add_argument(
        "--pg-url", default="postgres://opportune:opportune@localhost:5432/opportune_ops_bench"
    )
    args = parser.parse_args()
    if args.prepare:
        prepare()
        return
    print(
        f"{args.clients} clients, {args.duration:g} s measured after {args.warmup:g} s warm-up, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start"
    )
    header = (
        f"{'database':<34} {'target':<20} {'requests':>8} {'errors':>6} {'req/s':>7} "
        f"{'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'max ms':>7} {'ratio':>6} {'vs django':>9}"
    )
    print(header)
    for database in args.databases.split(","):
        for r in bench(database.strip(), args):
            ratio = f"{r['ratio']:.3f}" if r["ratio"] is not None else ""
            vs_django = f"{r['vs_django']:.2f}" if r.get("vs_django") is not None else ""
            codes = f" {r['error_codes']}" if r["errors"] else ""
            print(
                f"{r['database']:<34} {r['target']:<20} {r['requests']:>8} {r['errors']:>6} "
                f"{r['rps']:>7.1f} {r['p50']:>7.1f} {r['p95']:>7.1f} {r['p99']:>7.1f} "
                f"{r['max']:>7.0f} {ratio:>6} {vs_django:>9}{codes}",
                flush=True,
            )


if __name__ == "__main__":
    main()
