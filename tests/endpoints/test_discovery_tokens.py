"""Discovery advertises the token-lifecycle endpoints, grants and offline_access."""

from __future__ import annotations

import json
from typing import Any


def test_discovery_advertises_revocation_and_introspection(http: Any) -> None:
    for path in ("/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"):
        metadata = json.loads(http.get(path).body)
        assert metadata["revocation_endpoint"] == "https://auth.test/revoke"
        assert metadata["introspection_endpoint"] == "https://auth.test/introspect"
        assert metadata["revocation_endpoint_auth_methods_supported"] == [
            "client_secret_basic", "client_secret_post", "private_key_jwt", "none",
        ]  # fmt: skip
        assert metadata["introspection_endpoint_auth_methods_supported"] == [
            "client_secret_basic", "client_secret_post", "private_key_jwt",
        ]  # fmt: skip
        assert {"password", "refresh_token", "client_credentials"} <= set(
            metadata["grant_types_supported"]
        )
        assert "offline_access" in metadata["scopes_supported"]
