#!/usr/bin/env python3
"""A local webhook receiver for development, tests and the benchmark: accepts Styrbord's
webhook deliveries, checks their signatures with the recipe of docs/webhooks.md, and
writes each one as a JSON line to a file. Python stdlib only.

Usage: webhook-receiver.py --port PORT --out FILE [--secret SECRET] [--host 127.0.0.1]

Every POST (any path but /_control) is one delivery. With --secret (repeatable, or set
later through /_control) a delivery whose signature does not verify is answered 401.
The answer can be switched, so tests can make the receiver fail and recover:

  POST /_control  {"status": 500}            answer every delivery with 500 from now on
  POST /_control  {"status": 200}            and back to normal
  POST /_control  {"delayMs": 3000}          wait that long before answering
  POST /_control  {"secrets": ["whsec_…"]}   the secrets to verify with

Each line: {"received": <unix seconds>, "path", "headers": {lower-case name: value},
"body": <text>, "verified": true|false|null, "answered": <status>}.
Prints "ready <port>" once it listens.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOLERANCE_SECONDS = 300


def verify(secrets: list[str], headers: dict[str, str], body: bytes, now: float) -> bool:
    """The documented recipe: HMAC-SHA256 over "<timestamp>.<body>" with the secret's
    UTF-8 bytes, hex; any `v1=` entry of the signature header may match; the timestamp
    must be within five minutes of the receiver's clock (replay protection)."""
    timestamp = headers.get("styrbord-webhook-timestamp", "")
    if not timestamp.isdigit() or abs(now - int(timestamp)) > TOLERANCE_SECONDS:
        return False
    offered = [part.strip()[3:] for part in headers.get("styrbord-webhook-signature", "").split(",")
               if part.strip().startswith("v1=")]
    message = timestamp.encode() + b"." + body
    for secret in secrets:
        expected = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
        if any(hmac.compare_digest(expected, candidate) for candidate in offered):
            return True
    return False


class State:
    def __init__(self, out: str, secrets: list[str]) -> None:
        self.lock = threading.Lock()
        self.out = out
        self.status = 200
        self.delay = 0.0
        self.secrets = list(secrets)

    def record(self, line: dict) -> None:
        with self.lock, open(self.out, "a", encoding="utf-8") as file:
            file.write(json.dumps(line, ensure_ascii=False) + "\n")


def handler_for(state: State):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # quiet
            pass

        def answer(self, status: int, text: str = "") -> None:
            data = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            if len(body) < length:
                # The sender went away in the middle of the request (killed, say): nothing
                # was delivered, so nothing is recorded or answered.
                self.close_connection = True
                return
            if self.path == "/_control":
                command = json.loads(body or b"{}")
                with state.lock:
                    if "status" in command:
                        state.status = int(command["status"])
                    if "delayMs" in command:
                        state.delay = int(command["delayMs"]) / 1000
                    if "secrets" in command:
                        state.secrets = list(command["secrets"])
                self.answer(204)
                return
            with state.lock:
                status, delay, secrets = state.status, state.delay, list(state.secrets)
            headers = {name.lower(): value for name, value in self.headers.items()}
            verified = verify(secrets, headers, body, time.time()) if secrets else None
            if verified is False:
                status = 401
            if delay:
                time.sleep(delay)
            state.record({"received": time.time(), "path": self.path, "headers": headers,
                          "body": body.decode("utf-8", "replace"), "verified": verified, "answered": status})
            self.answer(status, "ok" if status < 300 else "refused")

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--secret", action="append", default=[])
    arguments = parser.parse_args()
    state = State(arguments.out, arguments.secret)
    server = ThreadingHTTPServer((arguments.host, arguments.port), handler_for(state))
    server.daemon_threads = True
    print(f"ready {arguments.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
