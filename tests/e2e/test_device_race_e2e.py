"""Device-code polls racing against `chalice local` + the emulator, with real threads.

moto in-process serialises calls, so races are only fair against the emulator. The
person's approval is made by our own device_codes.decide in a subprocess pointed at the
stack (the /device page does the same call).
"""

from __future__ import annotations

import subprocess
import sys
import threading
from typing import Any

import jwt
import requests

from tests.helpers.stack import ROOT, Stack

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
APPROVE = """
import sys
from chalicelib.admin import apply_stage_env
apply_stage_env("local")
from chalicelib.records import device_codes, user_codes, users
record = device_codes.find_pending(user_codes.require(sys.argv[1]))
user = users.get_user(sys.argv[2])
device_codes.decide(record, approve=True, sub=user.sub, auth_time=0)
"""


def approve(stack: Stack, user_code: str, username: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", APPROVE, user_code, username],
        cwd=ROOT, env=stack.env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


def race(stack: Stack, client_id: str, device_code: str, threads: int) -> list[Any]:
    """`threads` polls released at the same instant; returns (status, body) per poll."""
    barrier = threading.Barrier(threads)
    results: list[Any] = []
    form = {"grant_type": DEVICE_GRANT, "device_code": device_code, "client_id": client_id}

    def one() -> None:
        with requests.Session() as session:
            session.get(f"{stack.issuer}/jwks.json", timeout=10)  # connection warm
            barrier.wait()
            response = session.post(f"{stack.issuer}/token", data=form, timeout=30)
            results.append((response.status_code, response.json()))

    workers = [threading.Thread(target=one) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return results


def start(stack: Stack, client_id: str) -> dict[str, Any]:
    response = requests.post(
        f"{stack.issuer}/device_authorization", data={"client_id": client_id}, timeout=10
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_polls_racing_after_approval_get_tokens_exactly_once(stack: Stack) -> None:
    client = stack.admin(
        "client", "create", "--name", "Race TV", "--grant-type", DEVICE_GRANT, "--public",
        "--scope", "api:read",
    )  # fmt: skip
    racer = ["--username", "device-racer", "--password-stdin"]
    stack.admin("user", "create", *racer, stdin="pw-racer-1\n")
    jwks = jwt.PyJWKClient(f"{stack.issuer}/jwks.json")
    for _ in range(3):
        flow = start(stack, client["client_id"])
        approve(stack, flow["user_code"], "device-racer")
        results = race(stack, client["client_id"], flow["device_code"], threads=8)
        winners = [body for status, body in results if status == 200]
        losers = [body["error"] for status, body in results if status != 200]
        assert len(winners) == 1, results
        assert losers == ["invalid_grant"] * 7
        token = winners[0]["access_token"]
        key = jwks.get_signing_key_from_jwt(token)
        claims = jwt.decode(token, key.key, algorithms=["RS256"], audience="urn:gatehouse:api")
        assert claims["client_id"] == client["client_id"]


def test_polls_racing_while_pending_pass_the_pace_check_only_once(stack: Stack) -> None:
    client = stack.admin(
        "client", "create", "--name", "Eager TV", "--grant-type", DEVICE_GRANT, "--public",
    )  # fmt: skip
    flow = start(stack, client["client_id"])
    results = race(stack, client["client_id"], flow["device_code"], threads=6)
    errors = sorted(body["error"] for _, body in results)
    assert errors == ["authorization_pending"] + ["slow_down"] * 5, results
