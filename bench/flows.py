"""Every flow's request, with the records it needs, for the AWS-calls benchmark.

Each flow is `prepare() -> send`: prepare makes the real records the request consumes (a
code, a refresh token, a device code; through our own code, not mocks) and returns a thunk
that sends the one request measured, so the records' own writes are never counted.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from bench.harness import CLIENT_CREDENTIALS, FORM

REDIRECT = "https://app.example/cb"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
Send = Callable[[], Any]


@dataclass
class Fixtures:
    http: Any
    cc_headers: dict[str, str]
    web_auth: dict[str, str]  # Basic credentials of the code-flow client
    device_client_id: str
    sub: str
    username: str


def setup(http: Any, cc_headers: dict[str, str]) -> Fixtures:
    """A confidential web client (code, refresh, may introspect), a public device client and
    one person, beside the harness's client_credentials client."""
    from chalicelib.records.registration import create_client
    from chalicelib.records.users import create_user

    web, secret = create_client(
        name="web",
        grant_types=["authorization_code", "refresh_token"],
        redirect_uris=[REDIRECT],
        scope="openid profile email offline_access api:read",
        can_introspect=True,
    )
    device, _ = create_client(
        name="tv", grant_types=[DEVICE_GRANT], scope="openid offline_access api:read", public=True
    )
    person = create_user("alice", secrets.token_urlsafe(16), "alice@example.test", "Alice")
    raw = base64.b64encode(f"{web.client_id}:{secret}".encode()).decode()
    auth = {"Authorization": f"Basic {raw}"}
    return Fixtures(http, cc_headers, auth, device.client_id, person.sub, person.username)


def _post(f: Fixtures, path: str, form: dict[str, str], headers: dict[str, str]) -> Any:
    response = f.http.post(path, body=urlencode(form), headers={**FORM, **headers})
    assert response.status_code < 500, response.body
    return response


def _code(f: Fixtures) -> tuple[str, str]:
    from chalicelib.records import authorization_codes

    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    client_id = base64.b64decode(f.web_auth["Authorization"][6:]).decode().split(":")[0]
    grant = authorization_codes.CodeGrant(
        client_id=client_id,
        redirect_uri=REDIRECT,
        redirect_uri_given=True,
        scope="openid profile offline_access api:read",
        sub=f.sub,
        username=f.username,  # as /authorize keeps it (endpoints/authorize_response.py)
        auth_time=int(time.time()),
        nonce="n-0S6_WzA2Mj",
        code_challenge=challenge,
        code_challenge_method="S256",
    )
    return authorization_codes.issue(grant), verifier


def _exchange_form(f: Fixtures) -> dict[str, str]:
    """A fresh code and the token request that redeems it."""
    code, verifier = _code(f)
    return {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "code_verifier": verifier,
    }


def _tokens(f: Fixtures) -> dict[str, Any]:
    """A code exchanged for tokens (access, id, refresh), sent unmeasured."""
    response = _post(f, "/token", _exchange_form(f), f.web_auth)
    assert response.status_code == 200, response.body
    return json.loads(response.body)


def client_credentials(f: Fixtures) -> Send:
    return lambda: f.http.post("/token", body=CLIENT_CREDENTIALS, headers=f.cc_headers)


def code_exchange(f: Fixtures) -> Send:
    form = _exchange_form(f)
    return lambda: _post(f, "/token", form, f.web_auth)


def refresh(f: Fixtures) -> Send:
    form = {"grant_type": "refresh_token", "refresh_token": _tokens(f)["refresh_token"]}
    return lambda: _post(f, "/token", form, f.web_auth)


def _device_code(f: Fixtures, approve: bool) -> str:
    from chalicelib.records import device_codes, user_codes

    started = _post(f, "/device_authorization", {"client_id": f.device_client_id}, {})
    body = json.loads(started.body)
    if approve:
        record = device_codes.find_pending(user_codes.require(body["user_code"]))
        assert record is not None
        at = int(time.time())
        device_codes.decide(record, approve=True, sub=f.sub, auth_time=at, username=f.username)
    return body["device_code"]


def _device_poll(f: Fixtures, approve: bool) -> Send:
    form = {
        "grant_type": DEVICE_GRANT,
        "device_code": _device_code(f, approve),
        "client_id": f.device_client_id,
    }
    return lambda: _post(f, "/token", form, {})


def device_pending(f: Fixtures) -> Send:
    return _device_poll(f, approve=False)


def device_success(f: Fixtures) -> Send:
    return _device_poll(f, approve=True)


def introspection(f: Fixtures) -> Send:
    form = {"token": _tokens(f)["access_token"]}
    return lambda: _post(f, "/introspect", form, f.web_auth)


def userinfo(f: Fixtures) -> Send:
    headers = {"Authorization": "Bearer " + _tokens(f)["access_token"]}
    return lambda: f.http.get("/userinfo", headers=headers)


def revoke_refresh(f: Fixtures) -> Send:
    form = {"token": _tokens(f)["refresh_token"], "token_type_hint": "refresh_token"}
    return lambda: _post(f, "/revoke", form, f.web_auth)


def revoke_access(f: Fixtures) -> Send:
    form = {"token": _tokens(f)["access_token"], "token_type_hint": "access_token"}
    return lambda: _post(f, "/revoke", form, f.web_auth)


def jwks(f: Fixtures) -> Send:
    return lambda: f.http.get("/jwks.json")


FLOWS: dict[str, Callable[[Fixtures], Send]] = {
    "client_credentials": client_credentials,
    "authorization_code exchange": code_exchange,
    "refresh_token": refresh,
    "device poll, pending": device_pending,
    "device poll, success": device_success,
    "introspection": introspection,
    "userinfo": userinfo,
    "revocation, refresh token": revoke_refresh,
    "revocation, access token": revoke_access,
    "jwks": jwks,
}
