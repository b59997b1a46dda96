"""A webhook receiver that checks Opportune's signature (standard library only).

    WEBHOOK_SECRET=whsec_... python docs/examples/webhook_receiver.py [PORT]

It answers 204 to a delivery whose ``Opportune-Signature`` is valid and recent, and 400
otherwise, and prints each event it accepts.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

SECRET = os.environ["WEBHOOK_SECRET"].encode()
TOLERANCE = 300  # seconds: refuse older deliveries (replays)


def verified(header: str, body: bytes, now: float) -> bool:
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    timestamp = parts.get("t", "")
    if not timestamp.isdigit() or abs(now - int(timestamp)) > TOLERANCE:
        return False
    expected = hmac.new(SECRET, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts.get("v1", ""))


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        header = self.headers.get("Opportune-Signature", "")
        if not verified(header, body, time.time()):
            print("REFUSED: bad or old signature", flush=True)
            self.send_response(400)
            self.end_headers()
            return
        event = json.loads(body)
        record = event["data"]["object"]
        print(f"verified {event['type']} {event['id']} record {record.get('id')}", flush=True)
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8765
    HTTPServer(("127.0.0.1", port), Receiver).serve_forever()
