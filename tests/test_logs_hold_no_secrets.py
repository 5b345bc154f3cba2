"""Logs never hold a secret: client secrets, passwords, codes and tokens stay out of them,
neither in the records nor in the JSON lines (request lines included) that CloudWatch gets."""

from __future__ import annotations

import json
import logging
from typing import Any

from tests.helpers.forms import basic, post_form
from tests.helpers.observed import json_logs
from tests.helpers.oidc import PASSWORD


def test_failures_and_successes_log_no_secret_password_or_token(
    http: Any, make_client: Any, make_user: Any, caplog: Any
) -> None:
    make_user()
    client, secret = make_client(
        grant_types=["password", "refresh_token"], scope="api:read offline_access",
        can_introspect=True,
    )  # fmt: skip
    auth = basic(client.client_id, secret)
    # json_logs makes the Powertools logger first, so caplog restores its level (INFO) after.
    with json_logs() as written:
        caplog.set_level(logging.INFO)
        caplog.set_level(logging.DEBUG, logger="gatehouse")
        tokens = _requests_with_secrets(http, auth, client.client_id)

    logged = caplog.text + "".join(str(r.args) for r in caplog.records) + written.text
    assert caplog.records, "nothing was logged, so nothing was checked"
    assert len(written.requests()) == 9, "every request has its JSON line"
    for value in (secret, "bad-secret-456", PASSWORD, "wrong-pass-123", *tokens):
        assert value not in logged


def _requests_with_secrets(http: Any, auth: dict[str, str], client_id: str) -> list[str]:
    """Failures and successes that carry every kind of secret; the tokens they got."""
    wrong = {"grant_type": "password", "username": "alice", "password": "wrong-pass-123"}
    post_form(http, "/token", wrong, auth)
    post_form(
        http,
        "/token",
        {"grant_type": "client_credentials"},
        basic(client_id, "bad-secret-456"),
    )
    grant = {"grant_type": "password", "username": "alice", "password": PASSWORD,
             "scope": "api:read offline_access"}  # fmt: skip
    first = json.loads(post_form(http, "/token", grant, auth).body)
    refresh = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    second = json.loads(post_form(http, "/token", refresh, auth).body)
    post_form(http, "/token", refresh, auth)  # reuse: revokes the family, logs why
    post_form(http, "/introspect", {"token": second["access_token"]}, auth)
    post_form(http, "/revoke", {"token": second["refresh_token"]}, auth)
    http.get("/userinfo", headers={"Authorization": f"Bearer {second['access_token']}"})
    code = {"grant_type": "authorization_code", "code": "a-code-never-issued-789"}
    post_form(http, "/token", code, auth)
    return [first["access_token"], first["refresh_token"],
            second["access_token"], second["refresh_token"], code["code"]]  # fmt: skip
