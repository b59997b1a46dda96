"""The OpenAPI document describes the API truthfully: each schema name is one class, every
operation declares the problems it answers, and no path under the API answers HTML."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any, get_args

from pydantic import BaseModel

from conftest import ApiClient, Company
from opportune.api import api
from opportune.identity.models import User


def _models_in(annotation: Any, seen: set[type[BaseModel]]) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in seen:
            return
        seen.add(annotation)
        yield annotation
        for field in annotation.model_fields.values():
            yield from _models_in(field.annotation, seen)
    for argument in get_args(annotation):
        yield from _models_in(argument, seen)


def _operation_models() -> Iterator[type[BaseModel]]:
    seen: set[type[BaseModel]] = set()
    for router in api._get_bound_routers():  # how Ninja itself walks them for the document
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                for model in [*operation.models, *operation.response_models.values()]:
                    yield from _models_in(model, seen)


def test_every_schema_name_in_the_openapi_document_comes_from_one_class() -> None:
    classes: dict[str, set[str]] = defaultdict(set)
    for model in _operation_models():
        classes[model.__name__].add(f"{model.__module__}.{model.__qualname__}")
    components = api.get_openapi_schema()["components"]["schemas"]
    shared = {name: sorted(classes[name]) for name in components if len(classes[name]) > 1}
    assert shared == {}, "rename one of each: two classes share a schema name"


def test_every_operation_declares_the_problems_it_can_answer() -> None:
    missing = {}
    for path, operations in api.get_openapi_schema()["paths"].items():
        for method, operation in operations.items():
            expected = {404, 422} | ({401, 403} if operation.get("security") else {413, 429})
            if "requestBody" in operation:
                expected.add(400)
            if method != "get":
                expected.add(409)
            responses = operation["responses"]
            lacking = sorted(expected - set(responses))
            wrong = [
                status
                for status in expected & set(responses)
                if "application/problem+json" not in responses[status].get("content", {})
            ]
            if lacking or wrong:
                missing[f"{method.upper()} {path}"] = (lacking, wrong)
    assert missing == {}


def test_a_path_under_the_api_that_names_no_endpoint_is_a_404_problem(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    client = api(company.alice)
    client.client.raise_request_exception = False
    client.client.handler.enforce_csrf_checks = True  # API clients send no CSRF token
    for response in (
        client.get("/api/v1/leads/null,null"),
        client.delete("/api/v1/leads/null,null"),
        client.post("/api/v1/no-such-endpoint", {}),
    ):
        assert response.status_code == 404, response.content
        assert response["Content-Type"] == "application/problem+json"
