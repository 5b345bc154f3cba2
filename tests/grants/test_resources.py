"""Resource indicators at /token (RFC 8707 §2, §2.2; RFC 9700 §4.10): a token's audience is
chosen within what the client may ask for or what the person granted, never beyond."""

from __future__ import annotations

import json
from typing import Any

import jwt
import pytest

from tests.helpers.browser import Browser
from tests.helpers.forms import PASSWORD, basic, post_form
from tests.helpers.oidc import REDIRECT, answer, authorize, exchange

ORDERS = "https://orders.example/"
BILLING = "https://billing.example/"
FOREIGN = "https://payroll.example/"
DEFAULT = "urn:gatehouse:api"


def aud(body: dict[str, Any]) -> Any:
    return jwt.decode(body["access_token"], options={"verify_signature": False})["aud"]


def refused(response: Any) -> bool:
    """400 invalid_target, and no token in the answer."""
    body = json.loads(response.body)
    return (
        response.status_code == 400
        and body["error"] == "invalid_target"
        and ("access_token" not in body)
    )


def families() -> int:
    from chalicelib.models import RefreshFamilyModel

    return RefreshFamilyModel.count()


@pytest.fixture(autouse=True)
def resource_servers(aws: None) -> None:
    """The resource servers these clients name, registered as an operator would."""
    from chalicelib.records.resources import create_resource

    for uri in (ORDERS, BILLING):
        create_resource(uri, "")


@pytest.fixture
def web(make_client: Any, user: Any) -> tuple[Any, str]:
    return make_client(
        name="Orders app",
        grant_types=["authorization_code", "refresh_token"],
        redirect_uris=[REDIRECT],
        scope="openid offline_access",
        resources=[ORDERS, BILLING],
    )


def code_for(http: Any, client: Any, *resources: str) -> str:
    params = {"response_type": "code", "client_id": client.client_id, "redirect_uri": REDIRECT,
              "scope": "openid offline_access", "state": "s"}  # fmt: skip
    return answer(authorize(Browser(http), **params, resource=list(resources)))["code"]


def refresh(http: Any, client: Any, secret: str, token: str, **extra: str) -> Any:
    form = {"grant_type": "refresh_token", "refresh_token": token, **extra}
    return post_form(http, "/token", form, basic(client.client_id, secret))


def test_client_credentials_resource_outside_the_clients_resources_is_invalid_target(
    http, make_client
):
    """RFC 8707 §2: a resource the client is not registered for is invalid_target."""
    client, secret = make_client(resources=[ORDERS])
    form = {"grant_type": "client_credentials", "resource": FOREIGN}
    assert refused(post_form(http, "/token", form, basic(client.client_id, secret)))
    form["resource"] = ORDERS
    ok = post_form(http, "/token", form, basic(client.client_id, secret))
    assert aud(json.loads(ok.body)) == ORDERS


def test_client_without_registered_resources_may_target_only_the_default_audience(
    http, make_client
):
    """RFC 8707 §2: without --resource a client has DEFAULT_AUDIENCE alone."""
    client, secret = make_client()
    form = {"grant_type": "client_credentials", "resource": ORDERS}
    assert refused(post_form(http, "/token", form, basic(client.client_id, secret)))
    form["resource"] = DEFAULT
    ok = post_form(http, "/token", form, basic(client.client_id, secret))
    assert aud(json.loads(ok.body)) == DEFAULT


def test_password_resource_outside_the_clients_resources_is_invalid_target_and_issues_nothing(
    http, make_client, user
):
    """RFC 8707 §2 at the password grant (RFC 6749 §4.3.2)."""
    client, secret = make_client(
        grant_types=["password", "refresh_token"], scope="offline_access", resources=[ORDERS]
    )
    form = {"grant_type": "password", "username": "alice", "password": PASSWORD,
            "scope": "offline_access", "resource": FOREIGN}  # fmt: skip
    assert refused(post_form(http, "/token", form, basic(client.client_id, secret)))
    assert families() == 0
    form["resource"] = ORDERS
    body = json.loads(post_form(http, "/token", form, basic(client.client_id, secret)).body)
    assert aud(body) == ORDERS
    assert aud(json.loads(refresh(http, client, secret, body["refresh_token"]).body)) == ORDERS


def test_code_without_a_resource_at_authorize_grants_only_the_default_audience(http, web):
    """RFC 8707 §2.2: the token request chooses within the authorization request's grant."""
    client, secret = web
    code = code_for(http, client)
    assert refused(exchange(http, client, secret, code, resource=ORDERS))
    assert aud(json.loads(exchange(http, client, secret, code).body)) == DEFAULT


def test_code_carries_the_granted_resource_into_aud_and_the_refresh_family_keeps_it(http, web):
    """RFC 8707 §2.2: the granted resource binds the code and the refresh token."""
    client, secret = web
    body = json.loads(exchange(http, client, secret, code_for(http, client, ORDERS)).body)
    assert aud(body) == ORDERS
    again = refresh(http, client, secret, body["refresh_token"])
    assert aud(json.loads(again.body)) == ORDERS


def test_code_exchange_for_a_resource_outside_the_grant_is_invalid_target_and_redeems_nothing(
    http, web
):
    """RFC 8707 §2.2: another of the client's resources, not granted here, is refused."""
    from chalicelib.models import AuthorizationCodeModel

    client, secret = web
    code = code_for(http, client, ORDERS)
    assert refused(exchange(http, client, secret, code, resource=BILLING))
    assert [r.redeemed_at for r in AuthorizationCodeModel.scan()] == [None]
    assert families() == 0
    assert aud(json.loads(exchange(http, client, secret, code).body)) == ORDERS


def test_narrowing_to_one_of_several_granted_resources_then_refreshing_for_another(http, web):
    """RFC 8707 §2.2: each token request may narrow to any resource of the grant."""
    client, secret = web
    code = code_for(http, client, ORDERS, BILLING)
    body = json.loads(exchange(http, client, secret, code, resource=BILLING).body)
    assert aud(body) == BILLING
    token = body["refresh_token"]
    assert refused(refresh(http, client, secret, token, resource=FOREIGN))
    narrowed = json.loads(refresh(http, client, secret, token, resource=ORDERS).body)
    assert aud(narrowed) == ORDERS
    whole = json.loads(refresh(http, client, secret, narrowed["refresh_token"]).body)
    assert sorted(aud(whole)) == sorted([ORDERS, BILLING])
