"""schemathesis sends every operation of the OpenAPI document generated input, valid and
invalid, as a rep and as an admin: no answer is a 5xx, and every answer has a status,
content type and body the document declares (issue 13).

Bounded to stay within CI's budget: a fixed number of examples per operation, derandomized
(the same cases every run), no deadline. SQLite only: PostgreSQL runs the same code and
would double the time. Alice's records exist, so small path ids often name a real record.

The web-to-lead form needs no special handling: its rate limit counts posts in the
database, which each test rolls back, and an unknown form key is a declared 404. The
import upload is fuzzed too (a random file is refused or imported as a dry run); its
file handling has its own tests in opportune/imports.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from conftest import Company
from opportune.api import api
from opportune.identity.models import ApiToken, User

from .records import alices_records

# More for a deeper run by hand: OPPORTUNE_FUZZ_EXAMPLES=200 pytest tests/api/test_fuzz.py
EXAMPLES_PER_OPERATION = int(os.environ.get("OPPORTUNE_FUZZ_EXAMPLES", "15"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
schema.app = WSGIHandler()

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="fuzzed on SQLite only, to keep CI within its time"
)

fuzz_settings = settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def _call(case: Any, user: User) -> None:
    _, raw = ApiToken.issue(user, "fuzz")
    case.call_and_validate(headers={"Authorization": f"Bearer {raw}"}, checks=CHECKS)


@pytest.fixture
def world(company: Company) -> Company:
    alices_records(company)
    return company


@schema.parametrize()
@fuzz_settings
def test_no_input_from_a_rep_breaks_the_api_or_its_document(case: Any, world: Company) -> None:
    _call(case, world.alice)


@schema.parametrize()
@fuzz_settings
def test_no_input_from_an_admin_breaks_the_api_or_its_document(case: Any, world: Company) -> None:
    _call(case, world.ada)
