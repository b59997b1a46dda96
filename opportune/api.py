"""The REST API under /api/v1/: one NinjaAPI, bearer auth, problem JSON, each app's router.

Errors are RFC 9457 problem documents (``application/problem+json``) with an ``errors``
member mapping each offending field to its messages.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import ProtectedError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.datastructures import MultiValueDict
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser

from opportune.errors import DomainError
from opportune.identity.auth import BearerToken
from opportune.schemas import NUL_MESSAGE, field_errors, has_nul

PROBLEM_TYPE = "about:blank"


class TextParser(Parser):
    """Query and form parameters are refused with a NUL character, as body fields are
    (``InputSchema``): PostgreSQL cannot store one, and no one types it."""

    def parse_querydict(
        self, data: MultiValueDict[str, Any], list_fields: list[str], request: HttpRequest
    ) -> dict[str, Any]:
        source = "query" if data is request.GET else "form"
        errors = [
            {"loc": (source, name), "msg": NUL_MESSAGE, "type": "value_error"}
            for name in data
            if has_nul(name) or any(has_nul(value) for value in data.getlist(name))
        ]
        if errors:
            raise ValidationError(errors)
        return super().parse_querydict(data, list_fields, request)


api = NinjaAPI(
    title="Opportune API",
    version="1",
    description="Leads, conversion, opportunities and their stages. "
    "Authenticate with `Authorization: Bearer <token>` (`opportune token issue USERNAME`).",
    urls_namespace="api",
    auth=BearerToken(),
    docs_url="/docs",
    openapi_url="/openapi.json",
    parser=TextParser(),
)


def problem(
    request: HttpRequest,
    status: int,
    title: str,
    detail: str = "",
    errors: dict[str, list[str]] | None = None,
) -> HttpResponse:
    body: dict[str, Any] = {"type": PROBLEM_TYPE, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    response = api.create_response(request, body, status=status)
    response["Content-Type"] = "application/problem+json"
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="opportune"'
    return response


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = field_errors(exc.errors)
    return problem(request, 422, "Invalid input", "Some fields are invalid.", errors)


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return problem(request, exc.status, exc.title, exc.detail, exc.errors)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return problem(
        request, 401, "Unauthorized", "Send a valid token: Authorization: Bearer <token>."
    )


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return problem(request, exc.status_code, str(exc), str(exc))


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return problem(request, 404, "Not found", "No such record, or it is not visible to you.")


@api.exception_handler(ObjectDoesNotExist)
def _does_not_exist(request: HttpRequest, exc: Exception) -> HttpResponse:
    """A lookup the code expected to succeed found nothing: records the user asks for by id go
    through ``policy.get_visible`` (a 404), so what is left is missing configuration (a
    status, a stage) or a bug. Saying "not visible to you" would send the user looking for
    a permission problem; name what is missing instead."""
    return problem(
        request,
        500,
        "Opportune's configuration is incomplete",
        f"{exc} Opportune expected this record to exist; an admin must check the settings.",
    )


@api.exception_handler(ProtectedError)
def _protected(request: HttpRequest, exc: Exception) -> HttpResponse:
    return problem(request, 409, "Conflict", "Other records still refer to this one.")


def _register_routers() -> None:
    from opportune.accounts.api import accounts_router, contacts_router
    from opportune.activities.api import router as activities_router
    from opportune.audit.api import router as bin_router
    from opportune.capture.api import public_router as web_to_lead_router
    from opportune.capture.api import router as capture_router
    from opportune.forecasting.analytics_api import router as analytics_router
    from opportune.forecasting.api import forecast_router
    from opportune.identity.api import router as identity_router
    from opportune.imports.api import router as imports_router
    from opportune.leads.api import router as leads_router
    from opportune.leads.api import status_router
    from opportune.opportunities.api import config_router, opportunities_router

    api.add_router("/", identity_router)
    api.add_router("/leads", leads_router)
    api.add_router("/", status_router)
    api.add_router("/accounts", accounts_router)
    api.add_router("/contacts", contacts_router)
    api.add_router("/opportunities", opportunities_router)
    api.add_router("/", config_router)
    api.add_router("/activities", activities_router)
    api.add_router("/forecast", forecast_router)
    api.add_router("/analytics", analytics_router)
    api.add_router("/", capture_router)
    api.add_router("/", web_to_lead_router)
    api.add_router("/", imports_router)
    api.add_router("/", bin_router)


_register_routers()
