"""The REST API under /api/v1/: one NinjaAPI, each app contributing a router."""

from ninja import NinjaAPI

api = NinjaAPI(title="Opportune API", version="1", urls_namespace="api")
