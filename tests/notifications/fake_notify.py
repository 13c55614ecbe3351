"""A fake GOV.UK Notify on loopback: checks what the official client sends, answers like Notify.

Each POST to ``/v2/notifications/email`` must carry a JSON Web Token signed (HS256) with the
API key's secret, issued by its service id and dated now, and a JSON body with
``email_address``, ``template_id``, ``personalisation`` and ``reference``. Answers are taken
from ``answers`` (a status code each, 201 when it runs out; ``SLOW``: take the message, then
answer 201 only after ``slow_seconds``).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt

SERVICE_ID = str(uuid.UUID(int=0x5E1F1CE))
SECRET = str(uuid.UUID(int=0xC0FFEE))
API_KEY = f"escalate_test-{SERVICE_ID}-{SECRET}"
SLOW = -1


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    claims: dict[str, Any]


@dataclass
class FakeNotify:
    answers: list[int] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None
    slow_seconds: float = 2.0

    @property
    def base_url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FakeNotify:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                status, answer = fake.handle(self)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.shutdown()
        self.server.server_close()

    def _check(self, handler: BaseHTTPRequestHandler) -> Request | str:
        if handler.path != "/v2/notifications/email":
            return f"path {handler.path}"
        auth = handler.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            return "no bearer token"
        try:
            claims = jwt.decode(
                auth.removeprefix("Bearer "),
                SECRET,
                algorithms=["HS256"],
                options={"require": ["iss", "iat"]},
            )
        except jwt.PyJWTError as error:
            return f"token: {error}"
        if claims["iss"] != SERVICE_ID or abs(time.time() - claims["iat"]) > 30:
            return "token claims"
        if handler.headers.get("Content-Type") != "application/json":
            return "content type"
        length = int(handler.headers.get("Content-Length", "0"))
        body = json.loads(handler.rfile.read(length))
        missing = {"email_address", "template_id", "personalisation", "reference"} - set(body)
        if missing:
            return f"missing {sorted(missing)}"
        return Request(handler.path, dict(handler.headers), body, claims)

    def handle(self, handler: BaseHTTPRequestHandler) -> tuple[int, dict[str, Any]]:
        checked = self._check(handler)
        with self.lock:
            if isinstance(checked, str):
                self.problems.append(checked)
                return 400, {
                    "status_code": 400,
                    "errors": [{"error": "BadRequestError", "message": checked}],
                }
            self.requests.append(checked)
            status = self.answers.pop(0) if self.answers else 201
        if status == SLOW:
            time.sleep(self.slow_seconds)
            status = 201
        if status >= 400:
            return status, {
                "status_code": status,
                "errors": [{"error": "Exception", "message": "Internal server error"}],
            }
        body = checked.body
        notification_id = str(uuid.uuid4())
        return 201, {
            "id": notification_id,
            "reference": body["reference"],
            "content": {
                "subject": body["personalisation"].get("subject", ""),
                "body": body["personalisation"].get("body", ""),
                "from_email": "escalate@notifications.service.gov.uk",
            },
            "uri": f"{self.base_url}/v2/notifications/{notification_id}",
            "template": {
                "id": body["template_id"],
                "version": 1,
                "uri": f"{self.base_url}/v2/template/{body['template_id']}",
            },
        }
