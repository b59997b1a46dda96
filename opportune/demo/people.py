"""The demo's sales organisation: Sales with East, West and Enterprise teams, Marketing.

Passwords are hashed twice in all (one for the admin, one shared by every other demo user):
the hasher is deliberately slow, and the demo has dozens of users.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password

from opportune.identity.models import Role, Team, User

from .vocabulary import FIRST_NAMES, LAST_NAMES

TEAM_NAMES = ("Sales", "East", "West", "Enterprise", "Marketing")
ADMIN, VP, MARKETER, READER = "admin", "victor", "mark", "rita"
# Team -> (manager's username and name, the first reps' usernames and names).
SALES_TEAMS = {
    "East": (("maria", "Maria Lopez"), (("alice", "Alice Moreau"), ("bob", "Bob Okafor"))),
    "West": (("walter", "Walter Kim"), (("charlie", "Charlie Nguyen"), ("dana", "Dana Weber"))),
    "Enterprise": (("erin", "Erin Walsh"), (("hiro", "Hiro Sato"), ("ines", "Ines Silva"))),
}
DEMO_USERNAMES = (
    ADMIN, VP, MARKETER, READER,
    *(name for manager, reps in SALES_TEAMS.values() for name, _ in (manager, *reps)),
)  # fmt: skip


@dataclass
class Staff:
    admin: User
    admin_password: str
    password: str
    teams: dict[str, Team]
    managers: dict[str, User]
    reps: dict[str, list[User]]
    everyone: list[User] = field(default_factory=list)

    def all_reps(self) -> list[User]:
        return [rep for team_reps in self.reps.values() for rep in team_reps]


def _person(username: str, full_name: str, role: str, team: Team, password_hash: str,
            joined: dt.datetime) -> User:  # fmt: skip
    first, last = full_name.split(" ", 1)
    return User(
        username=username,
        first_name=first,
        last_name=last,
        email=f"{username}@opportune.example",
        role=role,
        team=team,
        password=password_hash,
        is_staff=role == Role.ADMIN,
        is_superuser=role == Role.ADMIN,
        date_joined=joined,
    )


def _extra_reps(rng: random.Random, count: int, taken: set[str]) -> list[tuple[str, str]]:
    people: list[tuple[str, str]] = []
    while len(people) < count:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        if first.lower() not in taken:
            taken.add(first.lower())
            people.append((first.lower(), f"{first} {last}"))
    return people


def build_staff(rng: random.Random, reps_per_team: int, now: dt.datetime) -> Staff:
    admin_password, password = secrets.token_urlsafe(9), secrets.token_urlsafe(9)
    shared_hash = make_password(password)
    joined = now - dt.timedelta(days=600)
    teams = {name: Team.objects.create(name=name) for name in ("Sales", "Marketing")}
    for name in SALES_TEAMS:
        teams[name] = Team.objects.create(name=name, parent=teams["Sales"])

    admin = _person(ADMIN, "Ada Admin", Role.ADMIN, teams["Sales"], make_password(admin_password),
                    joined)  # fmt: skip
    people: list[User] = [
        admin,
        _person(VP, "Victor Hale", Role.SALES_MANAGER, teams["Sales"], shared_hash, joined),
        _person(MARKETER, "Mark Ito", Role.MARKETING, teams["Marketing"], shared_hash, joined),
        _person(READER, "Rita Reyes", Role.READ_ONLY, teams["Sales"], shared_hash, joined),
    ]
    managers: dict[str, User] = {"Sales": people[1]}
    reps: dict[str, list[User]] = {}
    taken = set(DEMO_USERNAMES)
    for team_name, ((manager_name, manager_full), named_reps) in SALES_TEAMS.items():
        team = teams[team_name]
        managers[team_name] = _person(manager_name, manager_full, Role.SALES_MANAGER, team,
                                      shared_hash, joined)  # fmt: skip
        people.append(managers[team_name])
        rep_names = [*named_reps, *_extra_reps(rng, reps_per_team - len(named_reps), taken)]
        reps[team_name] = [
            _person(username, full, Role.SALES_REP, team, shared_hash, joined)
            for username, full in rep_names[:reps_per_team]
        ]
        people.extend(reps[team_name])
    User.objects.bulk_create(people)

    teams["Sales"].manager = managers["Sales"]
    for team_name in SALES_TEAMS:
        teams[team_name].manager = managers[team_name]
    Team.objects.bulk_update(teams.values(), ["manager"])
    return Staff(admin, admin_password, password, teams, managers, reps, people)
