"""private_key_jwt with a standard client library: Authlib's PrivateKeyJWT gets a
client_credentials token from `chalice local`, then introspects and revokes with it; once
with keys registered inline (jwks), once published at a jwks_uri on loopback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from joserfc.jwk import ECKey

from tests.helpers.documents import serving
from tests.helpers.races import race
from tests.helpers.stack import Stack

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def key_pair() -> tuple[Any, dict[str, Any]]:
    private = ECKey.generate_key("P-256")  # the key type Authlib's PrivateKeyJWT signs with
    public = private.as_dict(private=False)
    return private, {**public, "kid": "e2e-1", "use": "sig"}


def session(stack: Stack, client_id: str, private: Any) -> tuple[OAuth2Session, str]:
    token_endpoint = f"{stack.issuer}/token"
    oauth = OAuth2Session(client_id, private, token_endpoint_auth_method="private_key_jwt",
                          revocation_endpoint_auth_method="private_key_jwt",
                          scope="api:read")  # fmt: skip
    oauth.register_client_auth_method(PrivateKeyJWT(token_endpoint, alg="ES256",
                                                    headers={"kid": "e2e-1"}))  # fmt: skip
    return oauth, token_endpoint


def exercise(stack: Stack, client_id: str, private: Any) -> None:
    oauth, token_endpoint = session(stack, client_id, private)
    token = oauth.fetch_token(token_endpoint, grant_type="client_credentials")
    assert token["token_type"] == "Bearer" and token["scope"] == "api:read"
    introspected = oauth.introspect_token(f"{stack.issuer}/introspect", token["access_token"])
    assert introspected.json()["active"] is True
    revoked = oauth.revoke_token(f"{stack.issuer}/revoke", token["access_token"])
    assert revoked.status_code == 200
    again = oauth.introspect_token(f"{stack.issuer}/introspect", token["access_token"])
    assert again.json()["active"] is False


@pytest.mark.parametrize("where", ["jwks", "jwks_uri"])
def test_authlib_private_key_jwt_token_introspect_revoke(stack: Stack, tmp_path: Path, where):
    private, public = key_pair()
    args = ["client", "create", "--name", f"Signed job ({where})", "--grant-type",
            "client_credentials", "--scope", "api:read", "--auth-method", "private_key_jwt",
            "--can-introspect"]  # fmt: skip
    if where == "jwks":
        jwks = tmp_path / "jwks.json"
        jwks.write_text(json.dumps({"keys": [public]}))
        created = stack.admin(*args, "--jwks-file", str(jwks))
        exercise(stack, created["client_id"], private)
        return
    with serving() as served:
        url = served.json("/.well-known/jwks.json", {"keys": [public]})
        created = stack.admin(*args, "--jwks-uri", url)
        assert "client_secret" not in created
        exercise(stack, created["client_id"], private)


def test_a_replayed_assertion_is_refused_over_http_also_when_raced(
    stack: Stack, tmp_path: Path
) -> None:
    from authlib.oauth2.rfc7523 import private_key_jwt_sign

    private, public = key_pair()
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [public]}))
    created = stack.admin("client", "create", "--name", "Replayed", "--grant-type",
                          "client_credentials", "--auth-method", "private_key_jwt",
                          "--jwks-file", str(jwks))  # fmt: skip
    token_endpoint = f"{stack.issuer}/token"
    signed = private_key_jwt_sign(private, created["client_id"], token_endpoint, alg="ES256",
                                  header={"kid": "e2e-1"})  # fmt: skip
    form = {"grant_type": "client_credentials", "client_assertion": signed,
            "client_assertion_type": JWT_BEARER}  # fmt: skip
    assert requests.post(token_endpoint, data=form, timeout=10).status_code == 200
    replay = requests.post(token_endpoint, data=form, timeout=10)
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_client"

    # one fresh assertion sent by many threads at once: its jti is spent exactly once
    fresh = private_key_jwt_sign(private, created["client_id"], token_endpoint, alg="ES256",
                                 header={"kid": "e2e-1"})  # fmt: skip
    raced = {**form, "client_assertion": fresh}
    answers = race([lambda: requests.post(token_endpoint, data=raced, timeout=30)] * 10)
    assert sorted(a.status_code for a in answers) == [200] + [400] * 9
    assert {a.json()["error"] for a in answers if a.status_code == 400} == {"invalid_client"}
