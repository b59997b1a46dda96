"""Who may do what to which record (PRODUCT.md section 8): decided here and nowhere else.

Two questions, asked by every entry point (API, web views and fragments, CLI, exports,
imports, analytics) through the services they call:

1. **May the user see it?** ``visible(user, Model)`` and ``get_visible(user, queryset, pk)``,
   built on ``Model.objects.visible_to(user)`` (identity/visibility.py). Outside that view a
   record does not exist for the user: a 404, for every verb.
2. **May the user do this to a record they see?** ``may(user, verb, target)`` answers,
   ``require(user, verb, target)`` raises ``NotAllowed`` (a 403) with the reason. ``target``
   is a record, or a model class for questions about a kind (may they create leads?).

The rules, by role:

- **admin**: everything, including purging the recycle bin and configuring Opportune.
- **sales_manager**: changes and deletes what they see (their team tree and the unowned
  queue); converts; sets quotas and adjusts forecasts of the people they manage.
- **sales_rep**: changes what they see (their own records, or their team's when
  ``OPPORTUNE_REPS_SEE_TEAM`` is on); may not delete a converted lead or a won opportunity.
- **marketing**: sees every lead and never an opportunity; creates and imports leads;
  changes and deletes only the leads it owns or that are still unassigned (a rep's lead
  belongs to sales); reads the accounts and contacts of its team; logs activities on leads.
- **read_only**: reads what its team sees and changes nothing.
- **everyone who writes** restores from the recycle bin what they own or deleted themselves;
  admins restore anything, and alone purge the bin at once.
- **API tokens** narrow their user: a read token never writes; only an admin's admin-scoped
  token manages other people's tokens.

The same rules in PRODUCT.md's words, role by role and verb by verb: docs/access.md.

Record states (a converted lead cannot be edited, a closed deal cannot be moved) are not
access rules: the services refuse them as conflicts (409).
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar

from django.db.models import Model, Q, QuerySet
from django.http import Http404

from opportune.errors import NotAllowed, field_error

from .models import ApiToken, Role, Team, TokenScope, User

if TYPE_CHECKING:
    from opportune.leads.models import QualificationPolicy

    from .visibility import OwnerScope

M = TypeVar("M", bound=Model)


class Verb(StrEnum):
    CREATE = "create"
    CHANGE = "change"
    DELETE = "delete"
    RESTORE = "restore"
    PURGE = "purge"
    CONVERT = "convert"


# The record kinds, by model name; each is owned by one user and seen by the owner rule.
LEAD, ACCOUNT, CONTACT, OPPORTUNITY, ACTIVITY = (
    "lead",
    "account",
    "contact",
    "opportunity",
    "activity",
)
SALES_RECORDS = frozenset({LEAD, ACCOUNT, CONTACT, OPPORTUNITY, ACTIVITY})
# Which kinds each role may own (be the owner of); read_only owns nothing.
_OWNS: dict[str, frozenset[str]] = {
    Role.ADMIN: SALES_RECORDS,
    Role.SALES_MANAGER: SALES_RECORDS,
    Role.SALES_REP: SALES_RECORDS,
    Role.MARKETING: frozenset({LEAD, ACTIVITY}),
    Role.READ_ONLY: frozenset(),
}
# Kinds a role never sees at all (their pages and endpoints are 404 for it).
_HIDDEN: dict[str, frozenset[str]] = {
    Role.MARKETING: frozenset({OPPORTUNITY, "forecast", "quota", "forecastadjustment"}),
}
# Kinds a role sees whole, whoever owns them: marketing works the top of the funnel
# across the company (campaigns, imports).
_SEES_ALL: dict[str, frozenset[str]] = {
    Role.MARKETING: frozenset({LEAD}),
}


def kind_of(target: Model | type[Model]) -> str:
    return target._meta.model_name or ""


# --- seeing ----------------------------------------------------------------------------


def sees_kind(user: User, kind: str) -> bool:
    """Whether the user sees any record of this kind (menus, whole pages such as the kanban)."""
    return user.is_active and (user.is_admin or kind not in _HIDDEN.get(user.role, frozenset()))


def sees_all(user: User, kind: str) -> bool:
    """Whether the user sees every record of this kind, whoever owns it."""
    return user.is_active and (user.is_admin or kind in _SEES_ALL.get(user.role, frozenset()))


def visible(user: User, model: type[M]) -> QuerySet[M]:
    """The records of a kind the user may see: the start of every read."""
    manager: Any = model._default_manager
    result: QuerySet[M] = manager.visible_to(user)
    return result


def visible_owners(user: User, kind: str) -> OwnerScope | None:
    """Whose records of a kind the user sees, as owner ids resolved once for the request
    (reports filter and join on them); None when the rule is not a list of owners."""
    from .visibility import OwnerScope, owner_scope

    if not sees_kind(user, kind):
        return OwnerScope()
    if sees_all(user, kind):
        return OwnerScope(everyone=True)
    return owner_scope(user)


def visible_teams(user: User) -> QuerySet[Team]:
    """The teams whose figures the user may ask for (the forecast's and reports' team
    filter): every team for whoever sees every deal, else the teams of their view, so a
    manager is never offered a team that would show $0."""
    if sees_all(user, "opportunity"):
        return Team.objects.all()
    from .visibility import scope_team_ids

    return Team.objects.filter(pk__in=scope_team_ids(user))


def get_visible(user: User, queryset: QuerySet[M], pk: Any) -> M:
    """The record if the user may see it; anything else is a 404, for every verb."""
    if not sees_kind(user, kind_of(queryset.model)):
        raise Http404("No such record.")
    visible_rows: QuerySet[M] = queryset.visible_to(user)  # type: ignore[attr-defined]
    try:
        record = visible_rows.filter(pk=int(pk)).first()
    except (TypeError, ValueError, OverflowError):
        record = None
    if record is None:
        raise Http404("No such record.")
    return record


def require_kind(user: User, kind: str) -> None:
    """A 404 for a whole kind the user never sees (marketing and opportunities)."""
    if not sees_kind(user, kind):
        raise Http404("No such page.")


# --- acting ----------------------------------------------------------------------------


def refusal(user: User, verb: Verb, target: Model | type[Model]) -> str | None:
    """Why the user may not do this to a record they see (or to the kind); None if they may."""
    return _refusal(user, verb, kind_of(target), None if isinstance(target, type) else target)


def may_create(user: User, kind: str) -> bool:
    """Whether the user creates records of this kind (shows or hides "New" buttons)."""
    return _refusal(user, Verb.CREATE, kind, None) is None


def require_create(user: User, kind: str) -> None:
    reason = _refusal(user, Verb.CREATE, kind, None)
    if reason is not None:
        raise NotAllowed(reason)


def _refusal(user: User, verb: Verb, kind: str, record: Model | None) -> str | None:
    if not user.is_active:
        return "This account is inactive."
    if user.is_admin:
        return None
    if verb == Verb.PURGE:
        return "Only admins empty the recycle bin."
    if user.role == Role.READ_ONLY:
        return "Read-only users cannot change records."
    if kind == "importmapping" and record is not None:
        if getattr(record, "created_by_id", None) != user.pk:
            return "This mapping belongs to someone else; only its owner or an admin changes it."
        return None
    if kind in _HIDDEN.get(user.role, frozenset()):
        return f"Your role does not work with {kind} records."
    if verb == Verb.RESTORE and record is not None:
        return _restore_refusal(user, record)
    if user.role == Role.MARKETING:
        return _marketing_refusal(user, verb, kind, record)
    if verb == Verb.DELETE and user.role == Role.SALES_REP and record is not None:
        return _rep_delete_refusal(record)
    return None


def _marketing_refusal(user: User, verb: Verb, kind: str, record: Model | None) -> str | None:
    if kind == ACTIVITY and record is not None:
        other = ("opportunity_id", "account_id", "contact_id")
        if not getattr(record, "lead_id", None) or any(getattr(record, f, None) for f in other):
            return "Marketing logs activities on leads only."
        if getattr(record, "owner_id", None) not in (None, user.pk):
            return "Marketing changes only its own activities."
        return None
    if kind == ACTIVITY:
        return None
    if kind != LEAD:
        return f"Marketing works with leads, not {kind} records."
    if verb == Verb.CONVERT:
        return "Marketing hands leads to sales; a sales rep or manager converts them."
    owner_id = getattr(record, "owner_id", None)
    if record is not None and owner_id not in (None, user.pk):
        return "This lead belongs to sales; marketing changes only its own or unassigned leads."
    return None


def _rep_delete_refusal(record: Model) -> str | None:
    if getattr(record, "is_converted", False):
        return "A converted lead is the record of where its deal came from; ask a manager."
    if getattr(record, "is_won", False):
        return "A won opportunity counts in the numbers; ask a manager to delete it."
    return None


def _restore_refusal(user: User, record: Model) -> str | None:
    if user.pk in (getattr(record, "owner_id", None), getattr(record, "deleted_by_id", None)):
        return None
    return "Only the record's owner, whoever deleted it, or an admin may restore it."


def restorable(user: User) -> Q | None:
    """The filter on records in the bin that the user may restore (None: all of them); the
    recycle bin lists these, so it offers only what restoring will accept."""
    if not may_write(user):
        return Q(pk__in=[])
    if user.is_admin:
        return None
    return Q(owner=user) | Q(deleted_by=user)


def may(user: User, verb: Verb | str, target: Model | type[Model]) -> bool:
    return refusal(user, Verb(verb), target) is None


def require(user: User, verb: Verb | str, target: Model | type[Model]) -> None:
    reason = refusal(user, Verb(verb), target)
    if reason is not None:
        raise NotAllowed(reason)


def may_purge(user: User) -> bool:
    """Whether the user empties the recycle bin at once (shows the Purge buttons)."""
    return _refusal(user, Verb.PURGE, "", None) is None


def may_write(user: User) -> bool:
    """Whether the user changes anything at all (shows or hides the "New" buttons)."""
    return user.is_active and (user.is_admin or user.role != Role.READ_ONLY)


def require_writer(user: User) -> None:
    if not may_write(user):
        raise NotAllowed("Read-only users cannot change records.")


# --- owning ----------------------------------------------------------------------------


def may_own(user: User, kind: str) -> bool:
    """Whether records of this kind may be assigned to the user (who must then see them)."""
    return user.is_active and kind in _OWNS.get(user.role, frozenset())


def possible_owners(kind: str) -> QuerySet[User]:
    """The users a record of this kind may be assigned to (owner pickers, imports, rules)."""
    roles = [role for role, kinds in _OWNS.items() if kind in kinds]
    return User.objects.filter(is_active=True, role__in=roles)


def assignable_owner(owner_id: int | None, kind: str, field: str = "owner_id") -> User | None:
    """The user a record of this kind may be assigned to, or a field error saying why not."""
    if owner_id is None:
        return None
    owner = User.objects.filter(pk=owner_id, is_active=True).first()
    if owner is None:
        raise field_error(field, f"No active user with id {owner_id}.")
    require_owner(owner, kind, field)
    return owner


def require_owner(owner: User, kind: str, field: str = "owner_id") -> None:
    if not may_own(owner, kind):
        label = Role(owner.role).label.lower() if owner.role in Role.values else owner.role
        raise field_error(field, f"{owner} cannot own {kind} records ({label} role).")


# --- configuring and managing ----------------------------------------------------------


def may_configure(user: User, what: str) -> bool:
    """Settings: web forms are shared by admins, marketing and managers; the rest is admins'."""
    if not user.is_active:
        return False
    if user.is_admin:
        return True
    if what in ("webform", "assignmentrule_test"):
        return user.role in (Role.MARKETING, Role.SALES_MANAGER)
    return False


def may_handle_personal_data(user: User) -> bool:
    """Exporting everything about a person, or erasing them, is an admin's act (the data
    protection officer's request, not a salesperson's), on a record the admin sees."""
    return user.is_active and user.is_admin


def may_lead_team(user: User) -> bool:
    """Whether the user may be a team's manager (whose view then covers the team's tree)."""
    return user.is_active and (user.is_admin or user.role == Role.SALES_MANAGER)


def knows_merged_leads(user: User, merge: Any) -> bool:
    """Whether the user may know (and undo) the leads a merge took in while they are merged
    away: whoever merged them, who saw them all, and admins. Anyone else must see and be
    able to change each of them once restored."""
    return user.is_active and (user.is_admin or user.pk == merge.merged_by_id)


def may_override_qualification(user: User, policy: QualificationPolicy) -> bool:
    return user.is_active and (
        user.is_admin or (user.role == Role.SALES_MANAGER and policy.managers_may_override)
    )


NOT_YOUR_TEAM = "This user is not in a team you manage."


def may_manage(user: User, subject: User | None, managed_team_ids: set[int]) -> str | None:
    """Why ``user`` may not set ``subject``'s quota (None: may; adjusting: ``may_adjust``).
    With no ``subject``: why the user sets nobody's numbers.

    Admins manage everyone; a manager manages the people of the teams under them, and their
    own numbers are set from above."""
    if not user.is_active or user.role == Role.READ_ONLY:
        return "Read-only users cannot change records."
    if user.is_admin:
        return None
    if user.role != Role.SALES_MANAGER:
        return "Only managers and admins set quotas and adjust forecasts."
    if subject is None:
        return None
    if subject.pk == user.pk:
        return "Managers do not set their own quota: it is set from above."
    if subject.team_id not in managed_team_ids:
        return NOT_YOUR_TEAM
    return None


def may_adjust(user: User, subject: User | Team, managed_team_ids: set[int]) -> str | None:
    """Why ``user`` may not adjust ``subject``'s forecast (None: may). ``subject`` is a user
    (their own figure) or a team (its rolled-up figure, the figure of its manager).

    As in Salesforce's collaborative forecasts, a forecast manager adjusts the rolled-up
    figures of everyone below them and their own: admins adjust any; a sales manager adjusts
    the teams they manage and those under them, the people in those teams, and themselves.
    Reps and read-only users do not adjust (a rep's judgement is each deal's category)."""
    if not user.is_active or user.role == Role.READ_ONLY:
        return "Read-only users cannot change records."
    if user.is_admin:
        return None
    if user.role != Role.SALES_MANAGER:
        return "Only managers and admins adjust forecasts."
    if isinstance(subject, Team):
        return None if subject.pk in managed_team_ids else NOT_YOUR_TEAM
    if subject.pk == user.pk or subject.team_id in managed_team_ids:
        return None
    return NOT_YOUR_TEAM


def adjustment_authors(user: User) -> Q | None:
    """Whose adjustments ``user`` sees, as a filter on the adjusting user (None: everyone's).

    One's own, and a manager also those made by non-admins in the teams they see (the teams
    they manage and below): a manager sees the judgements that make up their number, never
    those made of it from above, and a rep sees no adjustment of their own figure (as in
    Salesforce)."""
    from .visibility import _scope_teams  # cached on the user for the request

    if user.is_admin:
        return None
    own = Q(adjusted_by=user.pk)
    if user.role != Role.SALES_MANAGER or not user.pk:
        return own
    below = Q(adjusted_by__team_id__in=_scope_teams(user)) & ~Q(adjusted_by__role=Role.ADMIN)
    return own | below


# --- API tokens ------------------------------------------------------------------------
# A token acts as its user, narrowed by its scope: ``read`` tokens only read. Managing other
# users' tokens takes an admin acting in person (web, CLI) or through an ``admin`` token.

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def scope_refusal(scope: str, method: str) -> str | None:
    """Why a token of this scope may not make a request with this HTTP method; None if it may."""
    if scope == TokenScope.READ and method.upper() not in SAFE_METHODS:
        return "This token's scope is read: it may only read."
    return None


def manages_all_tokens(user: User, scope: str | None = None) -> bool:
    """Whether the user sees and revokes every user's tokens (``scope``: the token the request
    came with; None in person)."""
    return user.is_active and user.is_admin and scope in (None, TokenScope.ADMIN)


def visible_tokens(user: User, scope: str | None = None) -> QuerySet[ApiToken]:
    """The tokens the user may list and revoke: their own, or everyone's for admins."""
    tokens = ApiToken.objects.select_related("user")
    return tokens if manages_all_tokens(user, scope) else tokens.filter(user=user)


def require_token_scope(user: User, scope: str, acting_scope: str | None = None) -> None:
    """Everyone issues read and write tokens for themselves; admin tokens only admins, in
    person or with an admin token (a lesser token does not mint a greater one)."""
    if scope == TokenScope.ADMIN and not manages_all_tokens(user, acting_scope):
        raise NotAllowed("Only admins, in person or with an admin token, issue admin tokens.")


# --- saved list views (opportune/savedviews) ----------------------------------------------
# A view shared with a team reaches the team's whole subtree (its members, the members of
# the teams under it, and their managers); only its creator or an admin changes it.


def _teams(user: User) -> list[Team]:
    """Every team (a small table), read once per request for the user's saved view questions."""
    cached: list[Team] | None = getattr(user, "_all_teams", None)
    if cached is None:
        cached = list(Team.objects.all())
        user._all_teams = cached  # type: ignore[attr-defined]
    return cached


def _own_teams(user: User) -> tuple[list[Team], set[int]]:
    """(every team, the user's team and the teams they manage)."""
    teams = _teams(user)
    own = {team.pk for team in teams if team.manager_id == user.pk}
    if user.team_id is not None:
        own.add(user.team_id)
    return teams, own


def shared_views_q(user: User) -> Q:
    """The saved views the user may pick: their own, and those shared with their team, a
    team they manage, or a team above either; an admin sees every view (to tidy them)."""
    if user.is_admin:
        return Q()
    teams, own = _own_teams(user)
    parents = {team.pk: team.parent_id for team in teams}
    above: set[int] = set()
    for team_id in own:
        current: int | None = team_id
        while current is not None and current not in above:
            above.add(current)
            current = parents.get(current)
    return Q(owner_id=user.pk) | Q(team_id__in=above)


def may_change_view(user: User, view: Any) -> bool:
    """Renaming, re-filtering, sharing or deleting a saved view: its creator or an admin."""
    return user.is_active and (user.is_admin or view.owner_id == user.pk)


def sharable_teams(user: User) -> list[Team]:
    """The teams the user may share a view with: their own team and the teams they manage
    with everything under them (an admin: every team)."""
    teams, own = _own_teams(user)
    if user.is_admin:
        return teams
    children: dict[int | None, list[int]] = {}
    for team in teams:
        children.setdefault(team.parent_id, []).append(team.pk)
    managed = [team.pk for team in teams if team.manager_id == user.pk]
    found = set(own)
    stack = list(managed)
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return [team for team in teams if team.pk in found]
