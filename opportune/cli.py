"""The ``opportune`` command: set up, serve, load demo data, manage users, teams and tokens.

Each subcommand is a thin caller of Django management commands or of the domain's own code.
``main(argv)`` returns the exit code, so tests call it in-process.
"""

from __future__ import annotations

import argparse
import ctypes
import importlib
import os
import secrets
import signal
import subprocess
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    from opportune.identity.models import User

SQLITE_ENGINE = "django.db.backends.sqlite3"


class CliError(Exception):
    """A mistake in the command's input: printed as one line on stderr, exit status 1."""


def _out(text: str = "") -> None:
    print(text, flush=True)


class _Parser(argparse.ArgumentParser):
    """A refused argument is one line on stderr (the usage is one ``--help`` away)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (usage: {self.prog} --help)\n")


def port(text: str) -> int:
    """A TCP port number, 1-65535."""
    value = whole_number(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port number (1-65535)")
    return value


def whole_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None


def positive_int(text: str) -> int:
    value = whole_number(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not a positive number")
    return value


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text} is not a positive number")
    return value


def one_line(exc: BaseException) -> str:
    """An error as one line: a file's error with its path, a schema's with each field."""
    from pydantic import ValidationError

    from opportune.schemas import error_message

    if isinstance(exc, OSError) and exc.strerror:
        where = f": {exc.filename}" if exc.filename else ""
        return f"{exc.strerror}{where}"
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'input'}: {error_message(e)}"
            for e in exc.errors()
        )
    return " ".join(str(exc).split())


# --- init, serve, worker ----------------------------------------------------------------------


def _collectstatic() -> None:
    from django.core.management import call_command

    try:
        call_command("collectstatic", interactive=False, verbosity=0)
    except ValueError as exc:  # e.g. a stylesheet or script referring to a missing file
        raise CliError(f"Collecting static files failed: {exc}") from exc


def _ensure_defaults() -> None:
    """Re-run the data migrations' get_or_create steps, in case defaults were deleted since
    (they only add what is missing, never change what exists)."""
    from django.apps import apps

    for module in (
        "opportune.leads.migrations.0002_default_statuses",
        "opportune.opportunities.migrations.0002_default_pipeline",
    ):
        importlib.import_module(module).create_defaults(apps, None)


def cmd_init(args: argparse.Namespace) -> int:
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    _ensure_defaults()
    _collectstatic()
    database = settings.DATABASES["default"]
    _out(f"Database ready: {database['ENGINE'].rsplit('.', 1)[-1]} {database['NAME']}")
    _out(f"Static files collected in {settings.STATIC_ROOT}")
    return 0


def _unapplied_migrations() -> int:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def gunicorn_argv(
    host: str, port: int, workers: int | None, threads: int, engine: str
) -> list[str]:
    """SQLite takes one writer at a time: one process with threads queues writes on the busy
    timeout instead of several processes fighting for the lock. PostgreSQL takes workers."""
    if engine == SQLITE_ENGINE:
        if workers not in (None, 1):
            print(
                "opportune: SQLite serves from one worker process; ignoring --workers.",
                file=sys.stderr,
            )
        workers = 1
    elif workers is None:
        workers = min(2 * (os.cpu_count() or 1) + 1, 8)
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "opportune.wsgi:application",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(threads),
        "--access-logfile",
        "-",
        "--no-control-socket",  # its default path is shared by every gunicorn of the user
    ]


def cmd_serve(args: argparse.Namespace) -> int:
    from django.conf import settings

    if _unapplied_migrations():
        raise CliError("The database is not up to date: run 'opportune init' first.")
    if not (settings.STATIC_ROOT / "staticfiles.json").exists():
        _collectstatic()
    argv = gunicorn_argv(
        args.host, args.port, args.workers, args.threads, settings.DATABASES["default"]["ENGINE"]
    )
    if args.with_worker:
        start_worker()
    _out(f"Serving Opportune on http://{args.host}:{args.port}/ (Ctrl-C stops it)")
    os.execv(argv[0], argv)
    return 0  # not reached: execv replaces this process


def worker_argv() -> list[str]:
    return [sys.executable, "-m", "opportune.cli", "worker"]


def _die_with_parent() -> None:
    """In the worker started by ``serve --with-worker``: end when the server ends (Linux)."""
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def start_worker() -> subprocess.Popen[bytes]:
    """A worker beside the server: the server's process becomes its parent (``execv`` keeps
    the pid), it gets the same Ctrl-C, and it stops when the server does."""
    worker = subprocess.Popen(worker_argv(), preexec_fn=_die_with_parent)
    _out(f"Started a worker (pid {worker.pid}) for imports and scheduled jobs")
    return worker


def cmd_worker(args: argparse.Namespace) -> int:
    from django.core.management import call_command

    from opportune.forecasting.fitting import schedule_fits
    from opportune.forecasting.snapshots import schedule_snapshots
    from opportune.heartbeat import start_beating
    from opportune.housekeeping import schedule_housekeeping
    from opportune.notifications.tasks import schedule_due_scan
    from opportune.scoring.tasks import schedule_refit

    schedule_housekeeping()  # the periodic purges ride on the worker's queue
    schedule_refit()  # and so does the daily refit of the scoring models
    schedule_fits()  # and the daily fit of the predicted forecast's models
    schedule_snapshots()  # and the daily snapshot of the open pipeline
    schedule_due_scan()  # and the scan that tells owners of tasks falling due
    if not args.batch:  # a batch run ends at once: nothing to tell the pages
        start_beating()  # pages warn when no worker has beaten for a minute
    options: dict[str, object] = {"queue_name": args.queue, "interval": args.interval}
    if args.batch:
        options |= {"batch": True, "startup_delay": False}
    call_command("db_worker", **options)
    return 0


# --- demo ---------------------------------------------------------------------------------------


def cmd_demo(args: argparse.Namespace) -> int:
    from django.conf import settings

    from opportune.demo import DemoAlreadyLoaded, DemoNotLoaded, load_demo
    from opportune.housekeeping import refresh_statistics

    login_file = settings.DATA_DIR / "demo-login.txt"
    try:
        login = load_demo(seed=args.seed, size=args.size, login_file=login_file, progress=_out)
        refresh_statistics()  # the planner's view of the new data, before the first page
    except DemoNotLoaded as skipped:
        print(f"opportune: {skipped}", file=sys.stderr)
        if isinstance(skipped, DemoAlreadyLoaded) and login_file.exists():
            _out(login_file.read_text().rstrip())
        return 0
    _out()
    _out(login.text())
    return 0


# --- users, teams, tokens ---------------------------------------------------------------------


def _user(username: str) -> User:
    from opportune.identity.models import User

    user = User.objects.filter(username=username).first()
    if user is None:
        raise CliError(f"No user '{username}'.")
    return user


def cmd_user_add(args: argparse.Namespace) -> int:
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email
    from django.db import transaction

    from opportune.identity.models import Role, Team, User

    if args.role not in Role.values:
        raise CliError(f"Unknown role '{args.role}'; choose one of: {', '.join(Role.values)}.")
    if User.objects.filter(username=args.username).exists():
        raise CliError(f"A user named '{args.username}' already exists.")
    team = None
    if args.team:
        team = Team.objects.filter(name=args.team).first()
        if team is None:
            raise CliError(f"No team '{args.team}'; create it with 'opportune team add'.")
    email = args.email or ""
    if email:
        try:
            validate_email(email)
        except ValidationError as exc:
            raise CliError(f"'{email}' is not a valid email address.") from exc
    password = args.password or secrets.token_urlsafe(12)
    user = User(
        username=args.username,
        email=email.lower(),
        role=args.role,
        team=team,
        first_name=args.first_name or "",
        last_name=args.last_name or "",
        is_staff=args.role == Role.ADMIN,
        is_superuser=args.role == Role.ADMIN,
    )
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise CliError("The password is too weak: " + " ".join(exc.messages)) from exc
    user.set_password(password)
    with transaction.atomic():
        user.save()
    _out(
        f"Created user '{user.username}' ({user.get_role_display()}"
        + (f", team {team.name})" if team else ")")
    )
    if not args.password:
        _out(f"Password: {password}")
    return 0


def cmd_team_add(args: argparse.Namespace) -> int:
    from opportune.identity import policy
    from opportune.identity.models import Team

    if Team.objects.filter(name=args.name).exists():
        raise CliError(f"A team named '{args.name}' already exists.")
    parent = None
    if args.parent:
        parent = Team.objects.filter(name=args.parent).first()
        if parent is None:
            raise CliError(f"No team '{args.parent}' to put '{args.name}' under.")
    manager = None
    if args.manager:
        manager = _user(args.manager)
        if not policy.may_lead_team(manager):
            raise CliError(
                f"'{manager.username}' is a {manager.get_role_display().lower()}; "
                "a team's manager must be a sales manager or an admin."
            )
    team = Team.objects.create(name=args.name, parent=parent, manager=manager)
    details = [f"under {parent.name}" if parent else "", f"managed by {manager}" if manager else ""]
    _out(f"Created team '{team.name}'" + "".join(f", {d}" for d in details if d))
    return 0


def cmd_token_issue(args: argparse.Namespace) -> int:
    import datetime as dt

    from django.utils import timezone

    from opportune.identity.tokens import issue_token

    user = _user(args.username)
    if not user.is_active:
        raise CliError(f"User '{user.username}' is deactivated.")
    expires_at = (
        timezone.now() + dt.timedelta(days=args.expires_days) if args.expires_days else None
    )
    _, raw = issue_token(user, args.name, args.scope, expires_at)
    _out(raw)
    return 0


def cmd_token_list(args: argparse.Namespace) -> int:
    import datetime as dt

    from django.utils import timezone

    from opportune.identity.models import ApiToken

    tokens = ApiToken.objects.select_related("user").order_by("user__username", "pk")
    if args.username:
        tokens = tokens.filter(user=_user(args.username))
    now = timezone.now()

    def when(moment: dt.datetime | None) -> str:
        return moment.strftime("%Y-%m-%d %H:%M") if moment else "-"

    rows = [["ID", "PREFIX", "USER", "NAME", "SCOPE", "EXPIRES", "LAST USED", "FROM", "STATE"]]
    for token in tokens:
        state = "revoked" if token.revoked else "expired" if token.has_expired(now) else "active"
        rows.append([str(token.pk), token.prefix, token.user.username, token.name or "-",
                     token.scope, when(token.expires_at), when(token.last_used_at),
                     token.last_used_ip or "-", state])  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        _out("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    return 0


def cmd_token_revoke(args: argparse.Namespace) -> int:
    from opportune.identity.models import ApiToken
    from opportune.identity.tokens import revoke_token

    wanted = args.token
    matches = list(
        ApiToken.objects.filter(pk=int(wanted)) if wanted.isdigit()
        else ApiToken.objects.filter(prefix__startswith=wanted)
    )  # fmt: skip
    if not matches:
        raise CliError(f"No token '{wanted}'; 'opportune token list' shows their ids and prefixes.")
    if len(matches) > 1:
        raise CliError(f"'{wanted}' starts {len(matches)} tokens' prefixes; give more of it.")
    token = revoke_token(matches[0])
    _out(f"Revoked token {token.prefix}… of '{token.user.username}'.")
    return 0


def cmd_manage(args: argparse.Namespace) -> int:
    from django.core.management import execute_from_command_line

    execute_from_command_line(["opportune manage", *args.arguments])
    return 0


# --- parser -------------------------------------------------------------------------------------


def _command(
    subparsers: argparse._SubParsersAction[_Parser],
    name: str,
    handler: Callable[[argparse.Namespace], int],
    help: str,
) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(name, help=help, description=help)
    parser.set_defaults(handler=handler)
    return parser


def build_parser() -> argparse.ArgumentParser:
    from opportune.identity.models import Role, TokenScope

    parser = _Parser(
        prog="opportune", description="Opportune, a sales CRM that tells leads from opportunities."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    _command(
        commands,
        "init",
        cmd_init,
        "Create or upgrade the database, its default records and the static files.",
    )

    serve = _command(commands, "serve", cmd_serve, "Serve the web UI and the API with gunicorn.")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=port, default=8000)
    serve.add_argument(
        "--workers",
        type=positive_int,
        default=None,
        help="worker processes (PostgreSQL only; SQLite always uses one)",
    )
    serve.add_argument(
        "--threads", type=positive_int, default=8, help="threads per worker (default 8)"
    )
    serve.add_argument(
        "--with-worker",
        action="store_true",
        help="also run a background worker (imports, scheduled jobs) beside the server",
    )

    worker = _command(commands, "worker", cmd_worker, "Run background jobs from the queue.")
    worker.add_argument("--queue", default="*", help="queue names, comma-separated ('*': all)")
    worker.add_argument(
        "--interval",
        type=positive_float,
        default=1.0,
        help="seconds to wait when the queue is empty",
    )
    worker.add_argument("--batch", action="store_true", help="run what is queued, then exit")

    demo = _command(commands, "demo", cmd_demo, "Load synthetic demo data into an empty database.")
    demo.add_argument(
        "--seed", type=whole_number, default=1, help="random seed (same seed, same data)"
    )
    demo.add_argument(
        "--size",
        choices=["small", "large"],
        default="small",
        help="small: about 300 leads; large: about 20,000 leads",
    )

    user = commands.add_parser("user", help="Manage users.", description="Manage users.")
    user_commands = user.add_subparsers(dest="action", required=True, metavar="ACTION")
    user_add = _command(user_commands, "add", cmd_user_add, "Create a user.")
    user_add.add_argument("username")
    user_add.add_argument("--role", required=True, help=f"one of: {', '.join(Role.values)}")
    user_add.add_argument("--team", help="the team's name")
    user_add.add_argument("--email")
    user_add.add_argument("--first-name")
    user_add.add_argument("--last-name")
    user_add.add_argument("--password", help="default: a generated one, printed once")

    team = commands.add_parser("team", help="Manage teams.", description="Manage teams.")
    team_commands = team.add_subparsers(dest="action", required=True, metavar="ACTION")
    team_add = _command(team_commands, "add", cmd_team_add, "Create a team.")
    team_add.add_argument("name")
    team_add.add_argument("--parent", help="the name of the team it belongs to")
    team_add.add_argument("--manager", help="the manager's username")

    token = commands.add_parser(
        "token", help="Manage API tokens.", description="Manage API tokens."
    )
    token_commands = token.add_subparsers(dest="action", required=True, metavar="ACTION")
    token_issue = _command(
        token_commands,
        "issue",
        cmd_token_issue,
        "Issue an API token and print it (it is shown only once).",
    )
    token_issue.add_argument("username")
    token_issue.add_argument("--name", default="cli", help="a label for the token")
    token_issue.add_argument(
        "--scope",
        choices=TokenScope.values,
        default=TokenScope.WRITE,
        help="read: only reads; write (default): what the user may; admin: also others' tokens",
    )
    token_issue.add_argument(
        "--expires-days", type=positive_int, help="refused after this many days (default: never)"
    )
    token_list = _command(
        token_commands, "list", cmd_token_list, "List API tokens, with their last use."
    )
    token_list.add_argument("username", nargs="?", help="only this user's tokens")
    token_revoke = _command(
        token_commands, "revoke", cmd_token_revoke, "Revoke an API token: it stops working at once."
    )
    token_revoke.add_argument("token", metavar="PREFIX|ID", help="the token's prefix or id")

    from opportune.forecasting.cli import add_commands as add_forecasting_commands

    add_forecasting_commands(commands, _command)
    from opportune.forecasting.snapshot_cli import add_commands as add_snapshot_commands

    add_snapshot_commands(commands, _command)

    from opportune.scoring.cli import add_commands as add_scoring_commands

    add_scoring_commands(commands, _command)

    from opportune.imports.cli import add_commands as add_import_commands

    add_import_commands(commands, _command)

    from opportune.backups import add_commands as add_backup_commands

    add_backup_commands(commands, _command)

    manage = _command(commands, "manage", cmd_manage, "Run a Django management command.")
    manage.add_argument("arguments", nargs=argparse.REMAINDER)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opportune.settings")
    import django

    django.setup()
    from django.core.management.base import CommandError
    from django.db import DatabaseError
    from pydantic import ValidationError

    from opportune.errors import DomainError

    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except (CliError, CommandError, DomainError, OSError, ValidationError) as exc:
        print(f"opportune: error: {one_line(exc)}", file=sys.stderr)
        return 1
    except DatabaseError as exc:
        print(f"opportune: database error: {one_line(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
