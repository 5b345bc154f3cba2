"""/register: RFC 7591 dynamic registration under each policy, its field-by-field errors
(each creating nothing), the open policy's bounds, the rate limit, and a registered client
completing a PKCE code flow."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.helpers.browser import Browser
from tests.helpers.forms import basic, post_form
from tests.helpers.oidc import REDIRECT, answer, authorize, pkce_pair

MCP = "https://mcp.example.com/mcp"
NATIVE = "http://127.0.0.1:33418/callback"


def post_json(http: Any, path: str, body: Any, token: str | None = None, **headers: str) -> Any:
    headers = {"Content-Type": "application/json", **headers}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    raw = body if isinstance(body, str) else json.dumps(body)
    return http.post(path, headers=headers, body=raw)


def body(response: Any) -> dict[str, Any]:
    return json.loads(response.body)


def client_count() -> int:
    from chalicelib.models import ClientModel

    return ClientModel.count()


@pytest.fixture
def open_registration(settings_env: Any, aws: None) -> None:
    from chalicelib.records.resources import create_resource

    settings_env(REGISTRATION="open")
    create_resource(MCP, "tools:read tools:call", open=True)
    create_resource("https://internal.example/api", "payroll:write")


def metadata(**fields: Any) -> dict[str, Any]:
    return {"client_name": "Claude Code", "redirect_uris": [NATIVE], **fields}


def test_registration_is_off_by_default_and_not_advertised(http):
    response = post_json(http, "/register", metadata())
    assert response.status_code == 403 and body(response)["error"] == "access_denied"
    assert client_count() == 0
    discovery = body(http.get("/.well-known/oauth-authorization-server"))
    assert "registration_endpoint" not in discovery


def test_open_registration_creates_a_public_pkce_client_for_open_resources(http, open_registration):
    """RFC 7591 §3.2.1: 201 with client_id, metadata and the RFC 7592 management pair."""
    response = post_json(http, "/register", metadata())
    assert response.status_code == 201, response.body
    assert response.headers["Cache-Control"] == "no-store"
    info = body(response)
    assert "client_secret" not in info
    assert info["token_endpoint_auth_method"] == "none"
    assert info["grant_types"] == ["authorization_code"]
    assert info["response_types"] == ["code"]
    assert set(info["scope"].split()) == {
        "openid", "profile", "email", "offline_access", "tools:read", "tools:call",
    }  # fmt: skip
    assert info["registration_client_uri"] == f"https://auth.test/register/{info['client_id']}"
    from chalicelib.records.clients import get_client

    client = get_client(info["client_id"])
    assert client.public and client.require_pkce and not client.allow_plain_pkce
    assert client.resources == (MCP,) and client.self_registered
    discovery = body(http.get("/.well-known/openid-configuration"))
    assert discovery["registration_endpoint"] == "https://auth.test/register"


BROKEN = [
    ("not an object", "[1, 2]", "invalid_client_metadata"),
    ("not JSON", "{client_name", "invalid_client_metadata"),
    ("no redirect URIs", {"client_name": "x"}, "invalid_client_metadata"),
    ("redirect not a list", metadata(redirect_uris=NATIVE), "invalid_client_metadata"),
    ("plain http", metadata(redirect_uris=["http://app.example/cb"]), "invalid_redirect_uri"),
    ("private-use scheme", metadata(redirect_uris=["com.example.app:/cb"]), "invalid_redirect_uri"),
    ("fragment", metadata(redirect_uris=["https://app.example/cb#x"]), "invalid_redirect_uri"),
    ("javascript", metadata(redirect_uris=["javascript:alert(1)"]), "invalid_redirect_uri"),
    ("confidential", metadata(token_endpoint_auth_method="client_secret_basic"),
     "invalid_client_metadata"),
    ("implicit", metadata(grant_types=["implicit"]), "invalid_client_metadata"),
    ("password", metadata(grant_types=["authorization_code", "password"]),
     "invalid_client_metadata"),
    ("client_credentials", metadata(grant_types=["client_credentials"]),
     "invalid_client_metadata"),
    ("token response", metadata(response_types=["code", "token"]), "invalid_client_metadata"),
    ("closed resource's scope", metadata(scope="openid payroll:write"), "invalid_client_metadata"),
    ("unknown scope", metadata(scope="admin"), "invalid_client_metadata"),
    ("name not a string", metadata(client_name=["x"]), "invalid_client_metadata"),
    ("logo over http", metadata(logo_uri="http://cdn.example/logo.png"), "invalid_client_metadata"),
    ("require_mfa not a boolean", metadata(require_mfa="yes"), "invalid_client_metadata"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "sent", "error"), BROKEN, ids=[b[0] for b in BROKEN])
def test_each_broken_rule_gets_its_rfc_7591_error_and_creates_nothing(
    http, open_registration, case, sent, error
):
    response = post_json(http, "/register", sent)
    assert response.status_code == 400, response.body
    assert body(response)["error"] == error
    assert client_count() == 0


def test_a_client_may_require_multi_factor_sign_in_for_itself(http, open_registration):
    from chalicelib.records import clients

    response = post_json(http, "/register", metadata(require_mfa=True))
    assert response.status_code == 201 and body(response)["require_mfa"] is True
    assert clients.get_client(body(response)["client_id"]).require_mfa
    plain = post_json(http, "/register", metadata())
    assert "require_mfa" not in body(plain)
    assert not clients.get_client(body(plain)["client_id"]).require_mfa


def test_unknown_metadata_is_ignored(http, open_registration):
    """RFC 7591 §2: the server ignores metadata it does not understand."""
    response = post_json(http, "/register", metadata(software_id="x", tos_uri=7))
    assert response.status_code == 201
    assert "software_id" not in body(response)


def test_token_registration_needs_a_live_initial_access_token(http, settings_env, clock):
    from chalicelib.records.registration_tokens import create_token

    settings_env(REGISTRATION="token")
    token, _ = create_token(expires_in=60)
    assert post_json(http, "/register", metadata()).status_code == 401
    wrong = post_json(http, "/register", metadata(), token="not-the-token")
    assert wrong.status_code == 401 and "Bearer" in wrong.headers["WWW-Authenticate"]
    assert client_count() == 0
    confidential = metadata(token_endpoint_auth_method="client_secret_basic",
                            grant_types=["client_credentials"], scope="api:read")  # fmt: skip
    created = post_json(http, "/register", confidential, token=token)
    assert created.status_code == 201, created.body
    info = body(created)
    assert info["client_secret"] and info["client_secret_expires_at"] == 0
    granted = post_form(http, "/token", {"grant_type": "client_credentials"},
                        basic(info["client_id"], info["client_secret"]))  # fmt: skip
    assert granted.status_code == 200, granted.body
    clock.advance(61)
    assert post_json(http, "/register", metadata(), token=token).status_code == 401


def test_registrations_are_limited_per_source(http, open_registration, settings_env):
    settings_env(REGISTRATION_RATE_PER_SOURCE="2")
    for _ in range(2):
        assert post_json(http, "/register", metadata()).status_code == 201
    refused = post_json(http, "/register", metadata())
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert client_count() == 2


def test_a_registered_client_completes_a_pkce_code_flow_for_an_open_resource(
    http, open_registration, user
):
    """The MCP path: register, sign in, consent (names the client as unverified), token for
    the MCP server's URL as the `resource` it sends (RFC 8707)."""
    import jwt

    info = body(post_json(http, "/register", metadata(redirect_uris=[REDIRECT],
                          client_uri="https://claude.example/")))  # fmt: skip
    verifier, challenge = pkce_pair()
    browser = Browser(http)
    browser.login("alice", "correct horse battery", return_to="/login")
    page = browser.get("/authorize", {"response_type": "code", "client_id": info["client_id"],
        "redirect_uri": REDIRECT, "scope": "openid tools:call", "state": "s",
        "code_challenge": challenge, "code_challenge_method": "S256", "resource": MCP})  # fmt: skip
    assert page.status_code == 200
    html = page.body.decode()
    assert 'id="unverified"' in html and "claude.example" in html
    code = answer(browser.submit(page, decision="approve"))["code"]
    token = post_form(http, "/token", {"grant_type": "authorization_code", "code": code,
        "redirect_uri": REDIRECT, "client_id": info["client_id"], "code_verifier": verifier,
        "resource": MCP})  # fmt: skip
    assert token.status_code == 200, token.body
    claims = jwt.decode(body(token)["access_token"], options={"verify_signature": False})
    assert claims["aud"] == MCP and claims["scope"] == "openid tools:call"


def test_a_registered_client_without_pkce_gets_no_code(http, open_registration, user):
    info = body(post_json(http, "/register", metadata(redirect_uris=[REDIRECT])))
    result = answer(authorize(Browser(http), response_type="code", client_id=info["client_id"],
                              redirect_uri=REDIRECT, scope="openid", state="s"))  # fmt: skip
    assert result["error"] == "invalid_request" and "code" not in result


def test_unused_registrations_expire_and_use_extends_them(
    http, open_registration, settings_env, clock, user
):
    from chalicelib.records import clients

    settings_env(REGISTERED_CLIENT_IDLE_DAYS="3")
    used = body(post_json(http, "/register", metadata(redirect_uris=[REDIRECT])))
    idle = body(post_json(http, "/register", metadata(redirect_uris=[REDIRECT])))
    clock.advance(2 * 86400 + 60)
    _, challenge = pkce_pair()
    browser = Browser(http)
    browser.get("/authorize", {"response_type": "code", "client_id": used["client_id"],
        "redirect_uri": REDIRECT, "scope": "openid", "code_challenge": challenge,
        "code_challenge_method": "S256"})  # fmt: skip
    clock.advance(86400)
    clients.reset_cache()
    assert clients.get_client(idle["client_id"]) is None
    assert clients.get_client(used["client_id"]) is not None
    refused = Browser(http).get("/authorize", {"response_type": "code",
        "client_id": idle["client_id"], "redirect_uri": REDIRECT})  # fmt: skip
    assert refused.status_code == 400 and "Location" not in refused.headers


def test_token_registration_accepts_a_private_key_jwt_client_with_its_jwks(http, settings_env):
    import jwt
    from cryptography.hazmat.primitives.asymmetric import ec

    from chalicelib.records.clients import get_client
    from chalicelib.records.registration_tokens import create_token

    settings_env(REGISTRATION="token")
    token, _ = create_token()
    key = ec.generate_private_key(ec.SECP256R1())
    jwk = json.loads(jwt.get_algorithm_by_name("ES256").to_jwk(key.public_key()))
    signed = metadata(token_endpoint_auth_method="private_key_jwt",
                      grant_types=["client_credentials"], scope="api:read",
                      jwks={"keys": [jwk]})  # fmt: skip
    created = post_json(http, "/register", signed, token=token)
    assert created.status_code == 201, created.body
    assert "client_secret" not in body(created)
    assert get_client(body(created)["client_id"]).token_endpoint_auth_method == "private_key_jwt"
    private = {"keys": [{**jwk, "d": "AAAA"}]}
    refused = post_json(http, "/register", {**signed, "jwks": private}, token=token)
    assert refused.status_code == 400 and body(refused)["error"] == "invalid_client_metadata"
