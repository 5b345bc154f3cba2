"""A replayed authorization code revokes what it issued, but only for a presenter who
proves possession as a first redemption must (RFC 6749 §4.1.2, §4.1.3; RFC 9700 §4.5)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.helpers.browser import Browser
from tests.helpers.oidc import REDIRECT, answer, authorize, exchange, pkce_pair
from tests.helpers.tokens import App, introspect

OTHER_REDIRECT = "https://app.example/other"


@pytest.fixture
def spa(make_client: Any, make_user: Any) -> Any:
    make_user()
    client, _ = make_client(
        name="SPA",
        grant_types=["authorization_code", "implicit"],
        redirect_uris=[REDIRECT, OTHER_REDIRECT],
        response_types=["code", "code token"],
        allow_tokens_via_browser=True,
        scope="openid profile",
        public=True,
    )
    return client


def code_and_verifier(http: Any, client: Any, response_type: str = "code") -> dict[str, str]:
    verifier, challenge = pkce_pair()
    params = {
        "response_type": response_type, "client_id": client.client_id, "redirect_uri": REDIRECT,
        "scope": "openid", "state": "s", "nonce": "n",
        "code_challenge": challenge, "code_challenge_method": "S256",
    }  # fmt: skip
    return {**answer(authorize(Browser(http), **params)), "verifier": verifier}


def redeem(http: Any, client: Any, issued: dict[str, str]) -> dict[str, Any]:
    response = exchange(http, client, None, issued["code"], code_verifier=issued["verifier"])
    assert response.status_code == 200, response.body
    return json.loads(response.body)


def error_of(response: Any) -> str:
    assert response.status_code == 400, response.body
    return json.loads(response.body)["error"]


def is_active(http: Any, resource_server: App, access_token: str) -> bool:
    bearer = {"Authorization": f"Bearer {access_token}"}
    userinfo_ok = http.get("/userinfo", headers=bearer).status_code == 200
    active = introspect(http, resource_server, access_token)["active"]
    assert userinfo_ok == active
    return active


def test_code_replay_with_the_pkce_verifier_revokes_the_tokens_of_the_first_redemption(
    http: Any, spa: Any, make_app: Any
) -> None:
    """RFC 6749 §4.1.2: a code used twice SHOULD revoke the tokens it issued."""
    resource_server = make_app(name="API")
    issued = code_and_verifier(http, spa)
    first = redeem(http, spa, issued)
    assert is_active(http, resource_server, first["access_token"])
    # When the code comes back with everything a first redemption needs
    replay = exchange(http, spa, None, issued["code"], code_verifier=issued["verifier"])
    # Then it is refused and the first redemption's access token is dead
    assert error_of(replay) == "invalid_grant"
    assert not is_active(http, resource_server, first["access_token"])


@pytest.mark.parametrize(
    "presented",
    [
        pytest.param({"code_verifier": None}, id="client_id-only"),
        pytest.param({"code_verifier": pkce_pair()[0]}, id="wrong-verifier"),
        pytest.param({"redirect_uri": OTHER_REDIRECT}, id="right-verifier-wrong-redirect_uri"),
        pytest.param({"other_client": True}, id="right-verifier-another-client"),
    ],
)
def test_code_replay_without_proof_of_possession_revokes_nothing(
    http: Any, spa: Any, make_app: Any, make_client: Any, presented: dict[str, Any]
) -> None:
    """RFC 9700 §4.5, RFC 6749 §4.1.3: a used code proves nothing by itself; revoking on
    its sight alone would let anyone who read it (history, logs) end the person's tokens."""
    resource_server = make_app(name="API")
    issued = code_and_verifier(http, spa)
    first = redeem(http, spa, issued)
    client = spa
    if presented.pop("other_client", False):
        client, _ = make_client(
            name="Other SPA", grant_types=["authorization_code"], redirect_uris=[REDIRECT],
            scope="openid", public=True,
        )  # fmt: skip
    extra = {"code_verifier": issued["verifier"], **presented}
    # When someone holding only the used code (and a client_id) presents it
    replay = exchange(http, client, None, issued["code"], **extra)
    # Then it is refused and the first redemption's tokens still work
    assert error_of(replay) == "invalid_grant"
    assert is_active(http, resource_server, first["access_token"])


def test_code_replay_revokes_the_front_channel_access_token_of_code_token(
    http: Any, spa: Any, make_app: Any
) -> None:
    """RFC 6749 §4.1.2 (revoke all tokens issued based on the code), OIDC Core §3.3.2.5:
    the hybrid `code token` access token is issued on the same grant as the code."""
    resource_server = make_app(name="API")
    issued = code_and_verifier(http, spa, response_type="code token")
    front = issued["access_token"]
    back = redeem(http, spa, issued)
    assert is_active(http, resource_server, front)
    replay = exchange(http, spa, None, issued["code"], code_verifier=issued["verifier"])
    assert error_of(replay) == "invalid_grant"
    assert not is_active(http, resource_server, back["access_token"])
    assert not is_active(http, resource_server, front)
