"""The small company every test works in, built once per test.

Maria manages the East team (Alice and Bob); Charlie sells in the West team; both teams sit
under Sales. Mark does marketing, Rita reads East's records, Ada administers everything.
So: Bob should not see Alice's leads, Maria should see both of theirs but not Charlie's.
"""

from __future__ import annotations

import datetime as dt
import importlib
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest
from django.conf import settings
from django.test import Client

from opportune.accounts.models import Account, Contact
from opportune.identity.models import ApiToken, Role, Team, TokenScope, User
from opportune.leads.models import Lead, LeadStatus
from opportune.opportunities.models import Opportunity, Pipeline
from opportune.opportunities.services import OpportunityDraft, open_opportunity

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response
    from pytest_django import DjangoCaptureOnCommitCallbacks, Settings


@dataclass
class Company:
    sales: Team
    east: Team
    west: Team
    ada: User
    maria: User
    alice: User
    bob: User
    charlie: User
    mark: User
    rita: User

    def lead(self, owner: User | None, **fields: Any) -> Lead:
        values: dict[str, Any] = {
            "first_name": "Lena",
            "last_name": "Lead",
            "company": "Globex Corporation",
            "email": "lena@globex.example",
            "status": LeadStatus.objects.get(key="new"),
            "owner": owner,
        }
        values.update(fields)
        return Lead.objects.create(**values)

    def qualified_lead(self, owner: User | None, **fields: Any) -> Lead:
        values: dict[str, Any] = {
            "need_identified": True,
            "budget_confirmed": True,
            "budget_amount": Decimal("25000.00"),
            "authority_confirmed": True,
            "status": LeadStatus.objects.get(key="qualified"),
        }
        values.update(fields)
        return self.lead(owner, **values)

    def account(self, owner: User | None, name: str = "Initech", **fields: Any) -> Account:
        return Account.objects.create(name=name, owner=owner, **fields)

    def contact(self, owner: User | None, account: Account | None, **fields: Any) -> Contact:
        values: dict[str, Any] = {"first_name": "Cora", "last_name": "Contact"}
        values.update(fields)
        return Contact.objects.create(owner=owner, account=account, **values)

    def opportunity(self, owner: User | None, **fields: Any) -> Opportunity:
        account = fields.pop("account", None) or self.account(owner)
        draft = OpportunityDraft(
            name=fields.pop("name", "Globex renewal"),
            account=account,
            owner=owner,
            pipeline=Pipeline.default(),
            close_date=fields.pop("close_date", dt.date(2026, 12, 31)),
            amount=fields.pop("amount", Decimal("10000.00")),
            **fields,
        )
        return open_opportunity(self.ada, draft)


def _on_sqlite() -> bool:
    return bool(settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3")


# The PostgreSQL pass leaves out what runs on SQLite only. The fuzz module is not even
# collected there: schemathesis builds its cases while collecting, per test worker.
collect_ignore = [] if _on_sqlite() else ["tests/api/test_fuzz.py"]

# Modules that take longest run first within pytest-django's order (plain, then
# transactional tests), so the test workers finish together instead of one of them running
# a two-minute test alone at the end. (CI: `pytest -n <cores + 1>`, `--dist load`.)
HEAVY_FIRST = [
    "tests/browser/test_accessibility.py",
    "opportune/imports/tests/test_import_crash.py",
    "tests/api/test_fuzz.py",
    "opportune/forecasting/tests/test_maven_backtest.py",
    "opportune/forecasting/tests/test_maven_analytics.py",
    "opportune/forecasting/tests/test_maven_loader.py",
    "opportune/imports/tests/test_real_data.py",
]


_MAVEN_MODULES: set[str] = set()  # the modules whose tests use the `maven` fixture


def _module(item: pytest.Item) -> str:
    return item.nodeid.split("::")[0]


def _fixtures(item: pytest.Item) -> list[str]:
    return list(getattr(item, "fixturenames", []))


@pytest.hookimpl(tryfirst=True)  # before pytest-django's stable sort by kind of test
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    _MAVEN_MODULES.update(_module(item) for item in items if "maven" in _fixtures(item))
    rank = {path: n for n, path in enumerate(HEAVY_FIRST)}
    items.sort(key=lambda item: rank.get(_module(item), len(rank)))
    if not _on_sqlite() and not os.environ.get("OPPORTUNE_BROWSER_TESTS_ON_ALL"):
        # Skipped before any fixture runs: a browser test's transactional database would
        # otherwise be flushed for nothing (see tests/browser/conftest.py).
        skip = pytest.mark.skip(
            reason="browser tests run on the SQLite pass (OPPORTUNE_BROWSER_TESTS_ON_ALL=1)"
        )
        for item in items:
            if item.nodeid.startswith("tests/browser/"):
                item.add_marker(skip)


@pytest.fixture(scope="module", autouse=True)
def _no_maven_data_from_an_earlier_module(request: pytest.FixtureRequest) -> None:
    """The Maven data set stays loaded from one module using it to the next (loading takes
    long; HEAVY_FIRST keeps those modules together); any other module finds the database as
    the migrations left it."""
    maven_world = sys.modules.get("opportune.forecasting.tests.maven_world")
    if maven_world is not None and request.node.nodeid not in _MAVEN_MODULES:
        maven_world.unload_if_loaded(request)


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """The API rate counts live in the cache, keyed by user id; ids repeat between tests."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def django_capture_on_commit_callbacks(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> DjangoCaptureOnCommitCallbacks:
    """pytest-django's, starting a new gathering of committed history each time: a test's
    transaction never commits, so the fixtures' writes must not be handed over with the
    captured ones (opportune/audit/committed.py)."""
    from opportune.audit.committed import forget_pending

    def capture(**options: Any) -> Any:
        forget_pending()
        return django_capture_on_commit_callbacks(**options)

    return capture


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Settings) -> None:
    """Tests create many users; the production hasher is deliberately slow."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _user(username: str, role: str, team: Team | None) -> User:
    return User.objects.create_user(
        username=username,
        email=f"{username}@opportune.example",
        password="correct-horse-battery",
        first_name=username.capitalize(),
        role=role,
        team=team,
    )


@pytest.fixture
def company(db: None) -> Company:
    sales = Team.objects.create(name="Sales")
    east = Team.objects.create(name="East", parent=sales)
    west = Team.objects.create(name="West", parent=sales)
    maria = _user("maria", Role.SALES_MANAGER, east)
    east.manager = maria
    east.save()
    return Company(
        sales=sales,
        east=east,
        west=west,
        ada=_user("ada", Role.ADMIN, sales),
        maria=maria,
        alice=_user("alice", Role.SALES_REP, east),
        bob=_user("bob", Role.SALES_REP, east),
        charlie=_user("charlie", Role.SALES_REP, west),
        mark=_user("mark", Role.MARKETING, sales),
        rita=_user("rita", Role.READ_ONLY, east),
    )


class ApiClient:
    """A test client that sends a bearer token and JSON bodies."""

    def __init__(self, user: User) -> None:
        # An admin's client acts with all of an admin's powers (managing others' tokens too).
        scope = TokenScope.ADMIN if user.is_admin else TokenScope.WRITE
        _, raw = ApiToken.issue(user, "tests", scope)
        self.client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")

    def get(self, path: str, **params: Any) -> Response:
        return self.client.get(path, params)

    def post(self, path: str, body: Any = None) -> Response:
        return self.client.post(path, body or {}, content_type="application/json")

    def patch(self, path: str, body: Any) -> Response:
        return self.client.patch(path, body, content_type="application/json")

    def delete(self, path: str) -> Response:
        return self.client.delete(path)


@pytest.fixture
def api() -> Callable[[User], ApiClient]:
    return ApiClient


@pytest.fixture(autouse=True)
def _sales_configuration(request: pytest.FixtureRequest) -> None:
    """A transactional test's flush removes the rows the data migrations seeded (statuses,
    the default pipeline, lost reasons): put them back before each such test. (Preferred to
    serialized_rollback, which duplicates content types after a plain transactional test.)"""
    marker = request.node.get_closest_marker("django_db")
    if not (marker and marker.kwargs.get("transaction")):
        return
    request.getfixturevalue("transactional_db")
    from django.apps import apps

    for migration in (
        "opportune.leads.migrations.0002_default_statuses",
        "opportune.opportunities.migrations.0002_default_pipeline",
    ):
        importlib.import_module(migration).create_defaults(apps, None)
