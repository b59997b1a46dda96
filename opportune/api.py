"""The REST API under /api/v1/: one NinjaAPI, bearer auth, problem JSON, each app's router.

Errors are RFC 9457 problem documents (``application/problem+json``) with an ``errors``
member mapping each offending field to its messages.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import ProtectedError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.datastructures import MultiValueDict
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.schema import OpenAPISchema
from ninja.parser import Parser

from opportune.errors import DomainError
from opportune.identity.auth import BearerToken
from opportune.identity.throttling import ApiRateThrottle
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


PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details; `errors` maps each offending field to its messages.",
    "type": "object",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
    "required": ["type", "title", "status"],
}

ERROR_DESCRIPTIONS = {
    400: "The body is not valid JSON",
    401: "No valid token (Authorization: Bearer <token>)",
    403: "The user may not do this",
    404: "No such record, or it is not visible to you",
    409: "The request conflicts with the record's state, or other records refer to it",
    413: "The body is too large",
    422: "Invalid input: the problem's errors name each field or parameter",
    429: "Too many requests; retry later",
}
WRITE_METHODS = frozenset({"post", "put", "patch", "delete"})


def error_statuses(method: str, operation: dict[str, Any]) -> list[int]:
    """The error statuses an operation can answer, from what it takes: every one may be
    refused as invalid (422) or name no visible record or kind (404); a token can be
    missing (401) and a role refused (403); a body can be malformed (400); a write can
    conflict (409); the public web-to-lead form limits body size (413) and rate (429)."""
    statuses = {404, 422}
    if operation.get("security"):
        statuses |= {401, 403}
    else:
        statuses |= {400, 413, 429}  # it reads its body itself, JSON or a form
    if "requestBody" in operation:
        statuses.add(400)
    if method in WRITE_METHODS:
        statuses.add(409)
    return sorted(statuses)


class OpportuneAPI(NinjaAPI):
    """Ninja, with the problem responses every operation can answer in its OpenAPI document
    (declared here once instead of on each route)."""

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        schema["components"]["schemas"]["Problem"] = PROBLEM_SCHEMA
        problem_content = {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        }
        for operations in schema["paths"].values():
            for method, operation in operations.items():
                responses = operation.setdefault("responses", {})
                for status in error_statuses(method, operation):
                    responses.setdefault(
                        status,
                        {"description": ERROR_DESCRIPTIONS[status], "content": problem_content},
                    )
        return schema


api = OpportuneAPI(
    title="Opportune API",
    version="1",
    description="Leads, conversion, opportunities and their stages. "
    "Authenticate with `Authorization: Bearer <token>` (`opportune token issue USERNAME`).",
    urls_namespace="api",
    auth=BearerToken(),
    throttle=ApiRateThrottle(),
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


def refuse_nul_in_path(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A text path parameter (``/pipelines/{key}``) with a NUL character is a 422 naming it,
    as a query, form or body field is (``TextParser``, ``InputSchema``)."""

    @wraps(view)
    def refusing(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        errors = {name: [NUL_MESSAGE] for name, value in kwargs.items() if has_nul(value)}
        if errors:
            return problem(request, 422, "Invalid input", "Some fields are invalid.", errors)
        return view(request, *args, **kwargs)

    return refusing


api.add_decorator(refuse_nul_in_path, mode="view")


def _register_routers() -> None:
    from opportune.accounts.api import accounts_router, contacts_router
    from opportune.activities.api import router as activities_router
    from opportune.audit.api import router as bin_router
    from opportune.capture.api import public_router as web_to_lead_router
    from opportune.capture.api import router as capture_router
    from opportune.customfields.api import router as custom_fields_router
    from opportune.forecasting.analytics_api import router as analytics_router
    from opportune.forecasting.api import forecast_router
    from opportune.identity.api import router as identity_router
    from opportune.imports.api import router as imports_router
    from opportune.leads.api import router as leads_router
    from opportune.leads.api import status_router
    from opportune.notifications.api import router as notifications_router
    from opportune.opportunities.api import config_router, opportunities_router
    from opportune.privacy.api import router as privacy_router
    from opportune.savedviews.api import router as views_router
    from opportune.scoring.api import router as scoring_router
    from opportune.search.api import router as search_router
    from opportune.webhooks.api import router as webhooks_router

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
    api.add_router("/", scoring_router)
    api.add_router("/", bin_router)
    api.add_router("/", custom_fields_router)
    api.add_router("/", webhooks_router)
    api.add_router("/", privacy_router)
    api.add_router("/", notifications_router)
    api.add_router("/", views_router)
    api.add_router("/", search_router)


_register_routers()


@csrf_exempt  # like every API endpoint: a bearer token, no cookie to protect
def unknown_path(request: HttpRequest) -> HttpResponse:
    """A path under /api/v1/ that names no endpoint (``/leads/abc``): a problem document, as
    every other API answer is, not the web UI's HTML page."""
    return problem(request, 404, "Not found", "No such endpoint or record.")
