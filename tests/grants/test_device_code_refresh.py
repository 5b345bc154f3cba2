"""Device grant and refresh tokens: issued only under the refresh rules, usable afterwards."""

from __future__ import annotations

import json
from typing import Any

from tests.helpers.device import DEVICE_GRANT, decide, poll, start_flow
from tests.helpers.forms import post_form


def tv(make_client: Any, grants: list[str]) -> Any:
    client, _ = make_client(
        name="TV", grant_types=grants, public=True, scope="openid api:read offline_access"
    )
    return client


def approved_poll(http: Any, client: Any, user: Any, scope: str) -> dict[str, Any]:
    flow = start_flow(http, client.client_id, scope=scope)
    decide(flow["user_code"], user.sub)
    status, body = poll(http, client.client_id, flow["device_code"])
    assert status == 200, body
    return body


def test_device_with_offline_access_gets_a_refresh_token_that_rotates(http, make_client, user):
    client = tv(make_client, [DEVICE_GRANT, "refresh_token"])
    body = approved_poll(http, client, user, "openid api:read offline_access")
    form = {"grant_type": "refresh_token", "refresh_token": body["refresh_token"],
            "client_id": client.client_id}  # fmt: skip
    rotated = json.loads(post_form(http, "/token", form).body)
    assert rotated["refresh_token"] not in (None, body["refresh_token"])
    assert rotated["id_token"]


def test_device_without_offline_access_gets_no_refresh_token(http, make_client, user):
    client = tv(make_client, [DEVICE_GRANT, "refresh_token"])
    assert "refresh_token" not in approved_poll(http, client, user, "openid api:read")


def test_device_client_not_registered_for_refresh_gets_none(http, make_client, user):
    client = tv(make_client, [DEVICE_GRANT])
    assert "refresh_token" not in approved_poll(http, client, user, "api:read offline_access")
