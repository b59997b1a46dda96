"""The `opportune` command: users, teams, tokens, set-up and serving, called in-process."""

from __future__ import annotations

import sys
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from pytest_django import Settings

from conftest import Company
from opportune import cli
from opportune.cli import gunicorn_argv, main
from opportune.identity.models import ApiToken, Role, Team, User, hash_token
from opportune.leads.models import LeadStatus, QualificationPolicy
from opportune.opportunities.models import LostReason, Pipeline

pytestmark = pytest.mark.django_db


def test_user_add_creates_a_user_in_a_team(
    company: Company, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["user", "add", "dora", "--role", "sales_rep", "--team", "West",
                 "--email", "Dora@Example.com", "--password", "a-long-enough-secret"])  # fmt: skip
    assert code == 0
    dora = User.objects.get(username="dora")
    assert (dora.role, dora.team, dora.email) == (Role.SALES_REP, company.west, "dora@example.com")
    assert dora.check_password("a-long-enough-secret") and not dora.is_staff
    assert "Created user 'dora'" in capsys.readouterr().out


def test_user_add_generates_and_prints_a_password(
    db: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["user", "add", "root", "--role", "admin"]) == 0
    password = capsys.readouterr().out.split("Password: ")[1].strip()
    root = User.objects.get(username="root")
    assert root.check_password(password)
    assert root.is_admin and root.is_staff and root.is_superuser


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["user", "add", "zed", "--role", "wizard"], "Unknown role 'wizard'"),
        (["user", "add", "zed", "--role", "sales_rep", "--team", "Nowhere"], "No team 'Nowhere'"),
        (["user", "add", "alice", "--role", "sales_rep"], "'alice' already exists"),
        (["user", "add", "zed", "--role", "sales_rep", "--email", "nope"], "not a valid email"),
        (["user", "add", "zed", "--role", "sales_rep", "--password", "abc"], "too weak"),
        (["user", "add", "zed", "--role", "sales_rep", "--password", "11111111x"], "too short"),
        (["user", "add", "zed", "--role", "sales_rep", "--password", "381947562019"], "numeric"),
        (["user", "add", "zed", "--role", "sales_rep", "--password", "password1234"], "too common"),
        (
            ["user", "add", "salesperson1", "--role", "sales_rep", "--password", "salesperson1"],
            "too similar to the username",
        ),
        (["team", "add", "East"], "'East' already exists"),
        (["team", "add", "North", "--parent", "Nowhere"], "No team 'Nowhere'"),
        (["team", "add", "North", "--manager", "ghost"], "No user 'ghost'"),
        (["team", "add", "North", "--manager", "bob"], "must be a sales manager"),
        (["token", "issue", "ghost"], "No user 'ghost'"),
    ],
)
def test_bad_input_exits_non_zero_with_a_message(
    company: Company, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    users, teams = User.objects.count(), Team.objects.count()
    assert main(argv) == 1
    captured = capsys.readouterr()
    assert message in captured.err and "Traceback" not in captured.err
    assert captured.out == ""
    assert (User.objects.count(), Team.objects.count()) == (users, teams)


def test_a_missing_subcommand_is_a_usage_error(
    db: None, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["user"])
    assert exit_.value.code == 2
    assert "usage:" in capsys.readouterr().err


def test_team_add_builds_the_hierarchy(
    company: Company, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["team", "add", "Boston", "--parent", "East", "--manager", "maria"]) == 0
    boston = Team.objects.get(name="Boston")
    assert boston.parent == company.east and boston.manager == company.maria
    assert "Created team 'Boston', under East, managed by" in capsys.readouterr().out


def test_token_issue_takes_a_scope_and_an_expiry(
    company: Company, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["token", "issue", "alice", "--scope", "read", "--expires-days", "30"]) == 0
    token = ApiToken.objects.get(key_hash=hash_token(capsys.readouterr().out.strip()))
    assert token.scope == "read" and token.expires_at is not None
    assert main(["token", "issue", "alice", "--scope", "admin"]) == 1
    assert "Only admins" in capsys.readouterr().err


def test_token_list_shows_each_users_tokens_with_last_use(
    company: Company, capsys: pytest.CaptureFixture[str]
) -> None:
    alices, _ = ApiToken.issue(company.alice, "laptop")
    ApiToken.objects.filter(pk=alices.pk).update(last_used_ip="198.51.100.4")
    ApiToken.issue(company.bob, "phone")
    assert main(["token", "list", "alice"]) == 0
    out = capsys.readouterr().out
    assert alices.prefix in out and "laptop" in out and "198.51.100.4" in out
    assert "phone" not in out and "active" in out
    assert main(["token", "list"]) == 0
    assert "phone" in capsys.readouterr().out


def test_token_revoke_by_prefix_or_id_stops_the_token(
    company: Company, capsys: pytest.CaptureFixture[str]
) -> None:
    first, _ = ApiToken.issue(company.alice)
    second, _ = ApiToken.issue(company.alice)
    assert main(["token", "revoke", first.prefix]) == 0
    assert main(["token", "revoke", str(second.pk)]) == 0
    assert "Revoked token" in capsys.readouterr().out
    assert not ApiToken.objects.filter(pk__in=[first.pk, second.pk], revoked=False).exists()
    assert main(["token", "revoke", first.prefix]) == 1
    assert "already revoked" in capsys.readouterr().err
    assert main(["token", "revoke", "opp_nothing"]) == 1
    assert main(["token", "revoke", "opp_"]) == 1
    assert "give more of it" in capsys.readouterr().err


def test_token_issue_prints_a_token_that_authenticates(
    company: Company, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["token", "issue", "alice", "--name", "laptop"]) == 0
    raw = capsys.readouterr().out
    assert raw.endswith("\n") and raw.count("\n") == 1
    token = ApiToken.objects.get(key_hash=hash_token(raw.strip()))
    assert (token.user, token.name, token.revoked) == (company.alice, "laptop", False)
    assert raw.startswith(token.prefix)


def test_init_is_idempotent_and_restores_defaults(
    db: None, settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings.STATIC_ROOT = tmp_path / "static"
    LostReason.objects.filter(key="price").delete()
    assert main(["init"]) == 0
    assert main(["init"]) == 0
    assert LeadStatus.objects.filter(is_default=True).count() == 1
    assert LeadStatus.objects.filter(key="converted", is_converted=True).exists()
    assert Pipeline.default().stages.count() == 10
    assert LostReason.objects.filter(key="price").exists()
    assert QualificationPolicy.objects.count() == 1
    assert (tmp_path / "static" / "admin").is_dir()
    assert "Database ready" in capsys.readouterr().out


def test_serve_runs_gunicorn_with_one_threaded_worker_on_sqlite(
    db: None, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.STATIC_ROOT = tmp_path / "static"
    calls = []
    monkeypatch.setattr("opportune.cli.os.execv", lambda path, argv: calls.append(argv))
    monkeypatch.setattr(cli, "_unapplied_migrations", lambda: 0)
    assert main(["serve", "--port", "8123", "--workers", "4"]) == 0
    (argv,) = calls
    assert argv[:4] == [sys.executable, "-m", "gunicorn", "opportune.wsgi:application"]
    assert argv[argv.index("--bind") + 1] == "127.0.0.1:8123"
    if settings.DATABASES["default"]["ENGINE"] == cli.SQLITE_ENGINE:
        assert argv[argv.index("--workers") + 1] == "1"
    assert argv[argv.index("--worker-class") + 1] == "gthread"
    assert (tmp_path / "static" / "staticfiles.json").exists(), "collected when missing"


def test_serve_takes_several_workers_on_postgresql() -> None:
    argv = gunicorn_argv("0.0.0.0", 80, 3, 4, "django.db.backends.postgresql")
    assert argv[argv.index("--workers") + 1] == "3"
    assert argv[argv.index("--threads") + 1] == "4"


def test_serve_refuses_an_unmigrated_database(
    db: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli, "_unapplied_migrations", lambda: 3)
    monkeypatch.setattr("opportune.cli.os.execv", lambda path, argv: pytest.fail("served"))
    assert main(["serve"]) == 1
    assert "run 'opportune init' first" in capsys.readouterr().err


def test_worker_runs_queued_tasks_and_exits_in_batch_mode(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []
    monkeypatch.setattr(
        "django.core.management.call_command", lambda name, **options: calls.append((name, options))
    )
    assert main(["worker", "--batch", "--queue", "imports"]) == 0
    assert calls == [
        (
            "db_worker",
            {"queue_name": "imports", "interval": 1.0, "batch": True, "startup_delay": False},
        )
    ]


def test_worker_batch_mode_really_runs(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    # Between jobs the worker closes stale connections, which would end the test transaction.
    monkeypatch.setattr(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    )
    assert main(["worker", "--batch"]) == 0


def _pinned(path: Path) -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith(("#", "-")):
            name, _, version = line.partition("==")
            pins[canonicalize_name(name)] = version.strip()
    return pins


def test_the_lock_files_pin_everything_opportune_needs() -> None:
    """bin/run installs requirements/run.txt: every dependency of the package, transitive
    ones included, must be pinned there (add new ones to pyproject.toml and run.txt)."""
    requirements = Path(__file__).resolve().parent.parent / "requirements"
    run = _pinned(requirements / "run.txt")
    test = _pinned(requirements / "test.txt")
    assert "-r run.txt" in (requirements / "test.txt").read_text()
    assert {"pytest", "pytest-django", "pytest-xdist", "ruff", "mypy", "playwright"} <= set(test)
    needed: set[tuple[str, frozenset[str]]] = set()
    todo: list[tuple[Requirement, frozenset[str]]] = [
        (Requirement(r), frozenset()) for r in metadata.requires("opportune") or []
    ]
    while todo:
        requirement, extras = todo.pop()
        if requirement.marker and not any(
            requirement.marker.evaluate({"extra": extra}) for extra in extras or {""}
        ):
            continue
        name = canonicalize_name(requirement.name)
        assert name in run, f"{name} is not pinned in requirements/run.txt"
        assert run[name] in requirement.specifier or not requirement.specifier, name
        if (name, frozenset(requirement.extras)) not in needed:
            needed.add((name, frozenset(requirement.extras)))
            todo += [(Requirement(r), frozenset(requirement.extras)) for r in
                     metadata.requires(name) or []]  # fmt: skip


def test_init_reports_a_static_file_that_refers_to_a_missing_one(
    db: None, settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assets = tmp_path / "assets"
    assets.mkdir()
    (assets / "broken.css").write_text('body { background: url("missing.png"); }')
    settings.STATICFILES_DIRS = [assets]
    settings.STATICFILES_FINDERS = ["django.contrib.staticfiles.finders.FileSystemFinder"]
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    assert main(["init"]) == 1
    err = capsys.readouterr().err
    assert "Collecting static files failed" in err and "missing.png" in err
    assert "Traceback" not in err
