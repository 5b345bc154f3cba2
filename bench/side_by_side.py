"""Issue 11's CPU targets, measured side by side: Gatehouse (envelope mode, ES256), the
Authlib peer and the PyJWT floor, interleaved round by round in one process, so the drift of
a shared machine falls on all three alike and their ratios hold even when the absolute
figures move.

Each server is measured twice: through its framework's test client (Chalice's copies the
environment twice per request to apply the stage's variables; Flask's builds a WSGI environ
with werkzeug), and at its server entry, the request already parsed as a platform hands it
over (an API Gateway event to the Lambda handler; a WSGI environ to the Flask app), which is
what runs in production. The floor signs the same claims with the same key and no HTTP.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from bench import floor_pyjwt, peer_authlib
from bench.harness import CLIENT_CREDENTIALS, stack
from bench.timing import cpu_us_interleaved


def run(calls: int = 100, rounds: int = 15) -> dict[str, Any]:
    with stack("envelope", "ES256") as (http, headers):
        fns = {
            "gatehouse, test client": _gatehouse_test_client(http, headers),
            "gatehouse, server entry": _gatehouse_handler(headers),
            "peer, test client": _peer_test_client(),
            "peer, server entry": _peer_wsgi(),
            "floor": lambda: floor_pyjwt.sign("ES256"),
        }
        return cpu_us_interleaved(fns, calls, rounds)


def _gatehouse_test_client(http: Any, headers: dict[str, str]) -> Callable[[], None]:
    def token() -> None:
        response = http.post("/token", body=CLIENT_CREDENTIALS, headers=headers)
        assert response.status_code == 200, response.body

    return token


def _gatehouse_handler(headers: dict[str, str]) -> Callable[[], None]:
    from app import app
    from tests.helpers.lambda_events import lambda_context, rest_event

    event = rest_event("POST", "/token", body=CLIENT_CREDENTIALS, headers=headers)
    context = lambda_context()

    def token() -> None:
        response = app(event, context)
        assert response["statusCode"] == 200, response

    return token


def _peer_test_client() -> Callable[[], None]:
    http, headers = peer_authlib.build()

    def token() -> None:
        response = http.post("/token", data=peer_authlib.FORM, headers=headers)
        assert response.status_code == 200, response.data

    return token


def _peer_wsgi() -> Callable[[], None]:
    from werkzeug.test import EnvironBuilder

    http, headers = peer_authlib.build()
    app = http.application
    builder = EnvironBuilder(path="/token", method="POST", data=peer_authlib.FORM, headers=headers)
    environ = builder.get_environ()
    body = environ["wsgi.input"].read()
    statuses: list[str] = []

    def start_response(status: str, _headers: Any, _exc: Any = None) -> None:
        statuses.append(status)

    def token() -> None:
        answer = b"".join(app({**environ, "wsgi.input": io.BytesIO(body)}, start_response))
        assert statuses.pop().startswith("200"), answer

    return token
