"""Logs never hold a secret: client secrets, passwords, codes and tokens stay out of them."""

from __future__ import annotations

import json
import logging
from typing import Any

from tests.helpers.forms import basic, post_form
from tests.helpers.oidc import PASSWORD


def test_failures_and_successes_log_no_secret_password_or_token(
    http: Any, make_client: Any, make_user: Any, caplog: Any
) -> None:
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="gatehouse")
    make_user()
    client, secret = make_client(
        grant_types=["password", "refresh_token"], scope="api:read offline_access",
        can_introspect=True,
    )  # fmt: skip
    auth = basic(client.client_id, secret)
    wrong = {"grant_type": "password", "username": "alice", "password": "wrong-pass-123"}
    post_form(http, "/token", wrong, auth)
    post_form(
        http,
        "/token",
        {"grant_type": "client_credentials"},
        basic(client.client_id, "bad-secret-456"),
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

    logged = caplog.text + "".join(str(r.args) for r in caplog.records)
    assert caplog.records, "nothing was logged, so nothing was checked"
    for value in (secret, "bad-secret-456", PASSWORD, "wrong-pass-123",
                  first["access_token"], first["refresh_token"],
                  second["access_token"], second["refresh_token"]):  # fmt: skip
        assert value not in logged
