"""Passwords: at least 12 characters, not like the username, not common, not all digits, in
the admin as in the CLI (tests/test_cli.py)."""

from __future__ import annotations

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client

from conftest import Company
from opportune.identity.models import User
from opportune.web.testing import logged_in, plain_static_files  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("11111111x", "too short"),
        ("384756291034", "entirely numeric"),
        ("password1234", "too common"),
        ("dora.example", "too similar"),
    ],
)
def test_weak_passwords_are_refused(password: str, message: str) -> None:
    user = User(username="dora.example", email="dora@example.com")
    with pytest.raises(ValidationError, match=message):
        validate_password(password, user)


def test_a_long_unrelated_password_passes() -> None:
    validate_password("plum-harbour-kettle", User(username="dora"))


def test_the_admin_refuses_a_weak_password_for_a_new_user(company: Company, client: Client) -> None:
    admin = logged_in(client, company.ada)
    response = admin.post(
        "/admin/identity/user/add/",
        {"username": "dora", "password1": "11111111x", "password2": "11111111x",
         "usable_password": "true"},
    )  # fmt: skip
    assert response.status_code == 200
    assert b"too short" in response.content
    assert not User.objects.filter(username="dora").exists()
