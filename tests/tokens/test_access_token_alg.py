"""The access-token algorithm: `ACCESS_TOKEN_ALG`, its default per signing mode (RS256 with
KMS, ES256 in envelope mode), a client's own `access_token_signed_response_alg` over both,
and every token verifying against /jwks.json by its kid, as a resource server checks it."""

from __future__ import annotations

import json
from typing import Any

import jwt
import pytest

from tests.helpers.forms import basic, post_form
from tests.helpers.tokens import introspect, password_grant, revoke

GRANT = {"grant_type": "client_credentials"}


def issued(http: Any, client: Any, secret: str | None) -> str:
    response = post_form(http, "/token", GRANT, basic(client.client_id, secret or ""))
    assert response.status_code == 200, response.body
    return json.loads(response.body)["access_token"]


def signed_with(http: Any, token: str) -> str:
    """The token's alg, after checking it the way a resource server does: the kid is the
    active key of that alg, published at /jwks.json, and the signature verifies with it."""
    from chalicelib.signing import keys

    header = jwt.get_unverified_header(token)
    assert header["typ"] == "at+jwt"
    assert header["kid"] == keys.active_key(header["alg"]).kid
    jwks = jwt.PyJWKSet.from_dict(json.loads(http.get("/jwks.json").body))
    key = jwks[header["kid"]]
    assert key.algorithm_name == header["alg"]
    claims = jwt.decode(
        token, key.key, algorithms=[header["alg"]], audience="urn:gatehouse:api",
        issuer="https://auth.test",
    )  # fmt: skip
    assert claims["client_id"]
    return header["alg"]


def test_kms_mode_signs_access_tokens_rs256_by_default(http, make_client):
    client, secret = make_client()
    assert signed_with(http, issued(http, client, secret)) == "RS256"


def test_access_token_alg_es256_in_kms_mode_is_still_one_kms_sign(
    http, make_client, settings_env, aws_calls
):
    settings_env(ACCESS_TOKEN_ALG="ES256")
    client, secret = make_client()
    issued(http, client, secret)
    aws_calls.clear()
    assert signed_with(http, issued(http, client, secret)) == "ES256"
    assert aws_calls.count("kms:Sign") == 1


def test_envelope_mode_signs_access_tokens_es256_by_default(envelope_mode, http, make_client):
    client, secret = make_client()
    assert signed_with(http, issued(http, client, secret)) == "ES256"


def test_an_explicit_access_token_alg_wins_over_the_mode_default(
    envelope_mode, http, make_client, settings_env
):
    settings_env(ACCESS_TOKEN_ALG="RS256")
    client, secret = make_client()
    assert signed_with(http, issued(http, client, secret)) == "RS256"


@pytest.mark.parametrize(("stage", "pinned"), [("RS256", "ES256"), ("ES256", "RS256")])
def test_a_client_pinned_to_an_algorithm_gets_it_whatever_the_stage_says(
    http, make_client, settings_env, stage, pinned
):
    settings_env(ACCESS_TOKEN_ALG=stage)
    default, default_secret = make_client()
    own, own_secret = make_client(access_token_signed_response_alg=pinned)
    assert signed_with(http, issued(http, default, default_secret)) == stage
    assert signed_with(http, issued(http, own, own_secret)) == pinned


def test_introspection_userinfo_and_revocation_accept_es256_access_tokens(http, user, make_app):
    app = make_app(
        scope="openid email api:read offline_access", access_token_signed_response_alg="ES256"
    )
    token = json.loads(password_grant(http, app, scope="openid email").body)["access_token"]
    assert signed_with(http, token) == "ES256"
    answer = introspect(http, app, token)
    assert answer["active"] is True and answer["sub"] == user.sub
    info = http.get("/userinfo", headers={"Authorization": f"Bearer {token}"})
    assert info.status_code == 200 and json.loads(info.body)["sub"] == user.sub
    assert revoke(http, app, token).status_code == 200
    assert introspect(http, app, token) == {"active": False}


@pytest.mark.parametrize("mode", ["kms", "envelope"])
def test_discovery_advertises_exactly_the_algorithms_access_tokens_are_issued_with(
    request, http, make_client, settings_env, mode
):
    from chalicelib.config import get_settings

    if mode == "envelope":
        request.getfixturevalue("envelope_mode")
    metadata = json.loads(http.get("/.well-known/openid-configuration").body)
    advertised = metadata["access_token_signing_alg_values_supported"]
    assert get_settings().access_token_alg in advertised
    for alg in advertised:
        client, secret = make_client(access_token_signed_response_alg=alg)
        assert signed_with(http, issued(http, client, secret)) == alg
    assert set(advertised) == set(metadata["id_token_signing_alg_values_supported"])
    # the client-assertion algorithms (private_key_jwt) are the clients', not our signing keys
    assert metadata["token_endpoint_auth_signing_alg_values_supported"] == [
        "ES256",
        "RS256",
        "PS256",
    ]


def test_an_unknown_access_token_alg_is_refused(aws, make_client, settings_env):
    from chalicelib.config import get_settings
    from chalicelib.errors import InvalidClientMetadata

    with pytest.raises(InvalidClientMetadata, match="access_token_signed_response_alg"):
        make_client(access_token_signed_response_alg="HS256")
    settings_env(ACCESS_TOKEN_ALG="PS256")
    with pytest.raises(RuntimeError, match="ACCESS_TOKEN_ALG"):
        get_settings()


def test_a_client_registered_before_the_setting_follows_the_stage(http, make_client, settings_env):
    from chalicelib.models import ClientModel
    from chalicelib.records import clients

    client, secret = make_client()
    assert ClientModel.get(client.client_id).access_token_signed_response_alg is None
    settings_env(ACCESS_TOKEN_ALG="ES256")
    clients.reset_cache()
    assert signed_with(http, issued(http, client, secret)) == "ES256"
