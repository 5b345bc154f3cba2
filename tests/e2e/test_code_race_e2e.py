"""One authorization code, twenty real threads, one `chalice local`: exactly one redemption."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.e2e.conftest import Stack
from tests.e2e.signin import code_for

pytestmark = pytest.mark.e2e
REDIRECT = "http://127.0.0.1:9/cb"
PASSWORD = "race condition 123"


def test_twenty_threads_redeeming_one_code_exactly_one_succeeds(stack: Stack) -> None:
    # Given a code issued to a confidential client
    stack.admin("user", "create", "--username", "racer", "--password-stdin", stdin=PASSWORD)
    client = stack.admin(
        "client", "create", "--name", "Racer", "--grant-type", "authorization_code",
        "--redirect-uri", REDIRECT, "--scope", "openid",
    )  # fmt: skip
    params = {
        "response_type": "code", "client_id": client["client_id"], "redirect_uri": REDIRECT,
        "scope": "openid", "state": "s",
    }  # fmt: skip
    code = code_for(stack.issuer, params, "racer", PASSWORD)

    # When twenty threads present it at the same moment
    barrier = threading.Barrier(20)

    def redeem(_: int) -> requests.Response:
        barrier.wait()
        return requests.post(
            f"{stack.issuer}/token",
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
            auth=(client["client_id"], client["client_secret"]),
            timeout=60,
        )

    with ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(pool.map(redeem, range(20)))

    # Then exactly one gets tokens and every other one gets invalid_grant
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [400] * 19, statuses
    assert {r.json()["error"] for r in responses if r.status_code == 400} == {"invalid_grant"}
    # and, the code having been replayed, the one token issued from it no longer works
    winner = next(r for r in responses if r.status_code == 200).json()
    userinfo = requests.get(
        f"{stack.issuer}/userinfo",
        headers={"Authorization": f"Bearer {winner['access_token']}"},
        timeout=10,
    )
    assert userinfo.status_code == 401
