"""One authorization code, twenty real threads, one `chalice local`: exactly one redemption."""

from __future__ import annotations

import base64
import http.client
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests

from tests.helpers.signin import code_for
from tests.helpers.stack import Stack

REDIRECT = "http://127.0.0.1:9/cb"
PASSWORD = "race condition 123"


def test_twenty_threads_redeeming_one_code_exactly_one_succeeds(stack: Stack) -> None:
    # Given a code issued to a confidential client
    stack.admin("user", "create", "--username", "code-racer", "--password-stdin", stdin=PASSWORD)
    client = stack.admin(
        "client", "create", "--name", "Racer", "--grant-type", "authorization_code",
        "--redirect-uri", REDIRECT, "--scope", "openid",
    )  # fmt: skip
    params = {
        "response_type": "code", "client_id": client["client_id"], "redirect_uri": REDIRECT,
        "scope": "openid", "state": "s",
    }  # fmt: skip
    code = code_for(stack.issuer, params, "code-racer", PASSWORD)

    # When twenty threads present it at the same moment, each on a connection opened
    # beforehand (chalice local's listen backlog is 5: twenty simultaneous connects would be
    # reset before any request is read)
    host, port = urlsplit(stack.issuer).netloc.split(":")
    connections = [http.client.HTTPConnection(host, int(port), timeout=60) for _ in range(20)]
    for connection in connections:
        connection.connect()
    body = urlencode({"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT})
    credentials = base64.b64encode(f"{client['client_id']}:{client['client_secret']}".encode())
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Authorization": f"Basic {credentials.decode()}",
    }
    barrier = threading.Barrier(20)

    def redeem(connection: http.client.HTTPConnection) -> tuple[int, dict[str, Any]]:
        barrier.wait()
        connection.request("POST", "/token", body=body, headers=headers)
        response = connection.getresponse()
        return response.status, json.loads(response.read())

    with ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(pool.map(redeem, connections))
    for connection in connections:
        connection.close()

    # Then exactly one gets tokens and every other one gets invalid_grant
    statuses = sorted(status for status, _ in responses)
    assert statuses == [200] + [400] * 19, statuses
    assert {body["error"] for status, body in responses if status == 400} == {"invalid_grant"}
    # and, the code having been replayed, the one token issued from it no longer works
    winner = next(body for status, body in responses if status == 200)
    userinfo = requests.get(
        f"{stack.issuer}/userinfo",
        headers={"Authorization": f"Bearer {winner['access_token']}"},
        timeout=10,
    )
    assert userinfo.status_code == 401
