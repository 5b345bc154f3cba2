"""Resource indicators where a grant starts (RFC 8707 §2): /authorize and
/device_authorization accept only the client's resources, the person is told which, and the
device code carries them to /token."""

from __future__ import annotations

import json
from typing import Any

import jwt
import pytest

from tests.helpers.browser import Browser
from tests.helpers.device import DEVICE_GRANT, decide, poll, start_flow
from tests.helpers.forms import PASSWORD, post_form
from tests.helpers.oidc import REDIRECT, answer, authorize

ORDERS = "https://orders.example/"
FOREIGN = "https://payroll.example/"


def aud(token: str) -> Any:
    return jwt.decode(token, options={"verify_signature": False})["aud"]


@pytest.fixture(autouse=True)
def orders_server(aws: None) -> None:
    from chalicelib.records.resources import create_resource

    create_resource(ORDERS, "")


@pytest.fixture
def web(make_client: Any, user: Any) -> Any:
    client, _ = make_client(
        name="Orders app",
        grant_types=["authorization_code", "implicit"],
        redirect_uris=[REDIRECT],
        response_types=["code", "id_token token"],
        allow_tokens_via_browser=True,
        scope="openid api:read",
        resources=[ORDERS],
    )
    return client


@pytest.fixture
def tv(make_client: Any) -> Any:
    client, _ = make_client(
        name="Living-room TV", grant_types=[DEVICE_GRANT], public=True, scope="api:read",
        resources=[ORDERS],
    )  # fmt: skip
    return client


def asking(client: Any, resource: str, **extra: str) -> dict[str, str]:
    return {"response_type": "code", "client_id": client.client_id, "redirect_uri": REDIRECT,
            "scope": "openid", "state": "st-1", "resource": resource, **extra}  # fmt: skip


def test_authorize_with_a_resource_outside_the_clients_redirects_invalid_target(http, web):
    """RFC 8707 §2: invalid_target, sent back with state and iss (RFC 6749 §4.1.2.1, RFC 9207)."""
    result = answer(Browser(http).get("/authorize", asking(web, FOREIGN)))
    assert result["error"] == "invalid_target"
    assert (result["state"], result["iss"]) == ("st-1", "https://auth.test")


def test_consent_page_names_the_resource(http, web):
    """RFC 8707 §2: the person sees which resource the tokens will be for."""
    browser = Browser(http)
    browser.login("alice", PASSWORD, return_to="/login")
    page = browser.get("/authorize", asking(web, ORDERS))
    assert f"<code>{ORDERS}</code>" in page.body.decode()
    assert "code" in answer(browser.submit(page, decision="approve"))


def test_front_channel_access_token_is_for_the_granted_resource(http, web):
    """RFC 8707 §2: an access token from /authorize (implicit, hybrid) is for the resource."""
    params = asking(web, ORDERS, response_type="id_token token", nonce="n-1")
    result = answer(authorize(Browser(http), **params))
    assert aud(result["access_token"]) == ORDERS


def test_device_authorization_with_a_resource_outside_the_clients_is_invalid_target(http, tv):
    """RFC 8707 §2 at RFC 8628 §3.1: nothing is started."""
    from chalicelib.models import DeviceCodeModel

    form = {"client_id": tv.client_id, "resource": FOREIGN}
    response = post_form(http, "/device_authorization", form)
    assert (response.status_code, json.loads(response.body)["error"]) == (400, "invalid_target")
    assert DeviceCodeModel.count() == 0


def test_device_confirmation_names_the_resource(http, tv, user):
    """RFC 8707 §2 with RFC 8628 §3.3: the person approves knowing where the tokens go."""
    flow = start_flow(http, tv.client_id, resource=ORDERS)
    browser = Browser(http)
    browser.login("alice", PASSWORD, return_to="/device")
    page = browser.submit(browser.get("/device"), user_code=flow["user_code"])
    assert f"<code>{ORDERS}</code>" in page.body.decode()


def test_device_code_carries_the_granted_resource_and_refuses_another(http, tv, user):
    """RFC 8707 §2.2: the device's token request chooses within what was approved."""
    flow = start_flow(http, tv.client_id, resource=ORDERS)
    decide(flow["user_code"], user.sub)
    form = {"grant_type": DEVICE_GRANT, "device_code": flow["device_code"],
            "client_id": tv.client_id, "resource": "urn:gatehouse:api"}  # fmt: skip
    response = post_form(http, "/token", form)
    assert (response.status_code, json.loads(response.body)["error"]) == (400, "invalid_target")
    status, body = poll(http, tv.client_id, flow["device_code"])
    assert status == 200 and aud(body["access_token"]) == ORDERS
