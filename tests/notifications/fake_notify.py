"""A local stand-in for GOV.UK Notify's API v2, on 127.0.0.1 in a thread.

It follows the published contract (docs.notifications.service.gov.uk, REST API): a JWT bearer
token signed HS256 with the API key's secret, ``iss`` = the service id and ``iat`` within 30
seconds; ``POST /v2/notifications/sms`` and ``/email`` answering 201 with the new id;
``GET /v2/notifications?reference=``; errors as ``{"status_code": N, "errors": [{"error": ...,
"message": ...}]}`` (400 BadRequestError, 403 AuthError, 429 RateLimitError, 500 Exception).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import jwt

SERVICE_ID = "26785a09-ab16-4eb0-8407-a37497a57506"
SECRET = "3d844edf-8d35-48ac-975b-e847b4f122b0"
API_KEY = f"proms_test-{SERVICE_ID}-{SECRET}"

ERRORS = {
    400: ("BadRequestError", "Can't send to this recipient using a team-only API key"),
    403: ("AuthError", "Invalid token: API key not found"),
    429: (
        "RateLimitError",
        "Exceeded rate limit for key type LIVE of 3000 requests per 60 seconds",
    ),
    500: ("Exception", "Internal server error"),
}
REQUIRED = {"sms": ("phone_number", "template_id"), "email": ("email_address", "template_id")}


class FakeNotify:
    def __init__(self):
        self.sent: list[dict] = []  # every accepted notification, with its type
        self.requests: list[tuple[str, str]] = []
        self.failures: list[int] = []  # statuses to answer next, in order
        self.lost_answers = 0  # accept this many sends but drop the connection (a timeout)
        self.answer_delay = 0.0  # seconds to wait after accepting a send before answering
        self._closing = threading.Event()  # wakes delayed answers when the server stops
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> FakeNotify:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def _answer(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the caller went away (a killed worker): nothing to tell
                    self.close_connection = True

            def _error(self, status: int, message: str | None = None) -> None:
                name, text = ERRORS[status]
                self._answer(
                    status,
                    {
                        "status_code": status,
                        "errors": [{"error": name, "message": message or text}],
                    },
                )

            def _authorised(self) -> bool:
                header = self.headers.get("Authorization", "")
                if not header.startswith("Bearer "):
                    self._error(403, "Unauthorized: authentication token must be provided")
                    return False
                try:
                    claims = jwt.decode(
                        header.removeprefix("Bearer "),
                        SECRET,
                        algorithms=["HS256"],
                        options={"verify_iat": False},
                    )
                except jwt.PyJWTError:
                    self._error(403, "Invalid token: signature, api token not found")
                    return False
                if claims.get("iss") != SERVICE_ID or abs(time.time() - claims["iat"]) > 30:
                    self._error(
                        403, "Error: Your system clock must be accurate to within 30 seconds"
                    )
                    return False
                return True

            def do_POST(self):
                fake.requests.append(("POST", self.path))
                if not self._authorised():
                    return
                kind = self.path.removeprefix("/v2/notifications/")
                if kind not in REQUIRED:
                    return self._answer(404, {"status_code": 404, "errors": []})
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                if fake.failures:
                    return self._error(fake.failures.pop(0))
                missing = [name for name in REQUIRED[kind] if not body.get(name)]
                if missing:
                    return self._error(400, f"{missing[0]} is a required property")
                notification = {"id": str(uuid.uuid4()), "type": kind, **body}
                fake.sent.append(notification)
                if fake.lost_answers:  # Notify has it, but the answer never reaches us
                    fake.lost_answers -= 1
                    self.close_connection = True
                    return None
                if fake.answer_delay and fake._closing.wait(fake.answer_delay):
                    self.close_connection = True
                    return None
                self._answer(
                    201,
                    {
                        "id": notification["id"],
                        "reference": body.get("reference"),
                        "content": {"body": "...", "from_number": "GOVUK"},
                        "uri": f"{fake.url}/v2/notifications/{notification['id']}",
                        "template": {"id": body["template_id"], "version": 1, "uri": ""},
                    },
                )

            def do_GET(self):
                fake.requests.append(("GET", self.path))
                if not self._authorised():
                    return
                url = urlparse(self.path)
                if url.path != "/v2/notifications":
                    return self._answer(404, {"status_code": 404, "errors": []})
                reference = parse_qs(url.query).get("reference", [None])[0]
                found = [
                    {"id": n["id"], "reference": n.get("reference"), "status": "sending"}
                    for n in fake.sent
                    if reference is None or n.get("reference") == reference
                ]
                self._answer(200, {"notifications": found, "links": {}})

        return Handler
