"""Client ID Metadata Documents: an URL client_id is fetched, must name itself, and gets
what open registration would; a bad document never leads to a redirect."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.helpers.browser import Browser
from tests.helpers.documents import serving
from tests.helpers.forms import post_form
from tests.helpers.oidc import REDIRECT, answer, pkce_pair

MCP = "https://mcp.example.com/mcp"


@pytest.fixture
def served(settings_env: Any, aws: None) -> Any:
    from chalicelib import outbound
    from chalicelib.records.resources import create_resource

    settings_env(GATEHOUSE_STAGE="local")
    outbound.reset_cache()
    create_resource(MCP, "tools:call", open=True)
    with serving() as server:
        yield server


def document(url: str, **fields: Any) -> dict[str, Any]:
    return {"client_id": url, "client_name": "Editor", "redirect_uris": [REDIRECT], **fields}


def start(http: Any, client_id: str, challenge: str) -> Any:
    browser = Browser(http)
    browser.login("alice", "correct horse battery", return_to="/login")
    page = browser.get("/authorize", {"response_type": "code", "client_id": client_id,
        "redirect_uri": REDIRECT, "scope": "openid tools:call", "state": "s",
        "code_challenge": challenge, "code_challenge_method": "S256", "resource": MCP})  # fmt: skip
    return browser, page


def test_a_document_client_signs_in_with_pkce_and_gets_a_token_for_the_open_resource(
    http, served, user
):
    import jwt

    url = served.base + "/oauth/client.json"
    served.json("/oauth/client.json", document(url), **{"Cache-Control": "max-age=300"})
    verifier, challenge = pkce_pair()
    browser, page = start(http, url, challenge)
    assert page.status_code == 200, page.body
    html = page.body.decode()
    assert 'id="unverified"' in html and served.base.removeprefix("http://") in html
    code = answer(browser.submit(page, decision="approve"))["code"]
    token = post_form(http, "/token", {"grant_type": "authorization_code", "code": code,
        "redirect_uri": REDIRECT, "client_id": url, "code_verifier": verifier,
        "resource": MCP})  # fmt: skip
    assert token.status_code == 200, token.body
    claims = jwt.decode(json.loads(token.body)["access_token"], options={"verify_signature": False})
    assert claims["client_id"] == url and claims["aud"] == MCP
    assert served.hits["/oauth/client.json"] == 1  # cached between /authorize and /token


BAD = [
    ("names another client_id", {"client_id": "https://elsewhere.example/c.json"}),
    ("confidential", {"token_endpoint_auth_method": "client_secret_basic"}),
    ("implicit", {"grant_types": ["implicit"], "response_types": ["token"]}),
    ("plain http redirect", {"redirect_uris": ["http://app.example/cb"]}),
    ("closed scope", {"scope": "openid payroll:write"}),
]


@pytest.mark.parametrize(("case", "fields"), BAD, ids=[b[0] for b in BAD])
def test_a_document_breaking_a_rule_makes_the_client_unknown_and_never_redirects(
    http, served, user, case, fields
):
    url = served.base + "/c.json"
    served.json("/c.json", {**document(url), **fields})
    _, challenge = pkce_pair()
    _, page = start(http, url, challenge)
    assert page.status_code == 400 and "Location" not in page.headers


def test_an_unreachable_or_oversized_document_is_refused_at_the_token_endpoint(http, served):
    url = served.base + "/big.json"
    served.json("/big.json", document(url, client_name="x" * 6000))
    form = {"grant_type": "authorization_code", "code": "c", "redirect_uri": REDIRECT,
            "client_id": url, "code_verifier": "v" * 43}  # fmt: skip
    refused = post_form(http, "/token", form)
    assert refused.status_code in (400, 401)
    assert json.loads(refused.body)["error"] == "invalid_client"


def test_discovery_says_documents_are_supported(http):
    metadata = json.loads(http.get("/.well-known/oauth-authorization-server").body)
    assert metadata["client_id_metadata_document_supported"] is True


def test_a_document_client_may_prove_itself_with_private_key_jwt(http, served, user):
    """A metadata document holds no secret, but may name its keys: the code exchange then
    needs a client assertion signed with one of them."""
    import time
    import uuid

    import jwt
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    public = {
        **json.loads(jwt.get_algorithm_by_name("ES256").to_jwk(key.public_key())),
        "kid": "d1",
    }
    url = served.base + "/signed.json"
    served.json("/signed.json", document(url, token_endpoint_auth_method="private_key_jwt",
                                         jwks={"keys": [public]}))  # fmt: skip
    verifier, challenge = pkce_pair()
    browser, page = start(http, url, challenge)
    code = answer(browser.submit(page, decision="approve"))["code"]
    bearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    exchange = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
                "code_verifier": verifier, "client_assertion_type": bearer}  # fmt: skip
    unsigned = post_form(http, "/token", {**exchange, "client_id": url})
    assert json.loads(unsigned.body)["error"] == "invalid_client"
    now = int(time.time())
    claims = {"iss": url, "sub": url, "aud": "https://auth.test/token", "exp": now + 60,
              "jti": str(uuid.uuid4())}  # fmt: skip
    signed = jwt.encode(claims, key, algorithm="ES256", headers={"kid": "d1"})
    response = post_form(http, "/token", {**exchange, "client_assertion": signed})
    assert response.status_code == 200, response.body
