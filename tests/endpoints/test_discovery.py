"""Discovery (OIDC Discovery §3, RFC 8414 §2) and the JWKS document."""

from __future__ import annotations

import json


def test_both_well_known_paths_serve_the_same_metadata(http, aws):
    oidc = http.get("/.well-known/openid-configuration")
    oauth = http.get("/.well-known/oauth-authorization-server")
    assert oidc.status_code == oauth.status_code == 200
    assert json.loads(oidc.body) == json.loads(oauth.body)


def test_metadata_advertises_what_is_implemented(http, aws):
    from chalicelib.grants import GRANTS

    metadata = json.loads(http.get("/.well-known/openid-configuration").body)
    assert metadata["issuer"] == "https://auth.test"
    assert metadata["token_endpoint"] == "https://auth.test/token"
    assert metadata["jwks_uri"] == "https://auth.test/jwks.json"
    assert metadata["grant_types_supported"] == sorted({*GRANTS, "implicit"})
    assert "client_credentials" in metadata["grant_types_supported"]
    assert metadata["token_endpoint_auth_methods_supported"] == [
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
        "none",
    ]
    assert metadata["scopes_supported"]


def test_jwks_is_publicly_cacheable_for_five_minutes(http, aws):
    response = http.get("/jwks.json")
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert {k["alg"] for k in json.loads(response.body)["keys"]} == {"RS256", "ES256"}
