"""The baseline for ``api_load.py``: a bare WSGI endpoint doing one indexed query (a lead by
primary key) per request, served by the same gunicorn settings as Opportune, no Django.

    GET /?id=123  ->  {"id": 123, "last_name": "...", "company": "..."}
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs, urlsplit

DATABASE_URL = os.environ["DATABASE_URL"]
_local = threading.local()


def _cursor() -> Any:
    connection = getattr(_local, "connection", None)
    if connection is None:
        if DATABASE_URL.startswith("sqlite:///"):
            connection = sqlite3.connect(urlsplit(DATABASE_URL).path, check_same_thread=False)
            connection.execute("PRAGMA journal_mode=WAL")
        else:
            import psycopg

            connection = psycopg.connect(DATABASE_URL, autocommit=True)
        _local.connection = connection
    return connection.cursor()


PLACEHOLDER = "?" if DATABASE_URL.startswith("sqlite") else "%s"
QUERY = f"SELECT id, last_name, company FROM leads_lead WHERE id = {PLACEHOLDER}"


def application(
    environ: dict[str, Any], start_response: Callable[[str, list[tuple[str, str]]], Any]
) -> Iterable[bytes]:
    pk = int(parse_qs(environ.get("QUERY_STRING", "")).get("id", ["1"])[0])
    cursor = _cursor()
    cursor.execute(QUERY, (pk,))
    row = cursor.fetchone()
    body = json.dumps(dict(zip(("id", "last_name", "company"), row or (), strict=False)))
    data = body.encode()
    start_response(
        "200 OK" if row else "404 Not Found",
        [("Content-Type", "application/json"), ("Content-Length", str(len(data)))],
    )
    return [data]
