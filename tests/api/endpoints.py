"""The API's endpoints, read from the OpenAPI document so new ones are covered automatically."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from opportune.api import api

WRITE_METHODS = {"post", "patch", "put", "delete"}


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # as in OpenAPI, e.g. /api/v1/leads/{lead_id}
    has_body: bool
    public: bool  # declared without auth, e.g. web-to-lead
    body_type: str = ""  # application/json, multipart/form-data

    @property
    def params(self) -> list[str]:
        return re.findall(r"{(\w+)}", self.path)

    def url(self, **values: object) -> str:
        return re.sub(r"{(\w+)}", lambda m: str(values[m.group(1)]), self.path)

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.path}"


def endpoints() -> list[Endpoint]:
    schema = openapi()
    found = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            public = not operation.get("security")
            body_types = list(operation.get("requestBody", {}).get("content", {}))
            body_type = body_types[0] if body_types else ""
            found.append(Endpoint(method, path, bool(body_type), public, body_type))
    return found


def authenticated_endpoints() -> list[Endpoint]:
    return [e for e in endpoints() if not e.public]


@cache
def openapi() -> dict[str, Any]:
    """The document, built once per process: building it takes about a second, and test
    collection asks for it once per endpoint (read it, never change it)."""
    return api.get_openapi_schema()


def body_properties(endpoint: Endpoint) -> dict[str, dict[str, Any]]:
    """The JSON body's properties as OpenAPI declares them ({} without a JSON body)."""
    schema = openapi()
    operation = schema["paths"][endpoint.path][endpoint.method]
    body = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if not body:
        return {}
    ref = body["schema"].get("$ref", "")
    declared = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]] if ref else body["schema"]
    properties: dict[str, dict[str, Any]] = declared.get("properties", {})
    return properties


def query_parameters(endpoint: Endpoint) -> list[dict[str, Any]]:
    operation = openapi()["paths"][endpoint.path][endpoint.method]
    return [p for p in operation.get("parameters", []) if p["in"] == "query"]
