"""Discovery (OIDC Discovery 1.0 §3, RFC 8414 §2) and the JWKS (RFC 7517 §5).

One function builds the metadata for both well-known paths; it advertises only what is
implemented (the grant registry is the source of `grant_types_supported`).
"""

from __future__ import annotations

from typing import Any

from chalicelib.config import get_settings
from chalicelib.grants import GRANTS
from chalicelib.keys import ALGORITHMS

AUTH_METHODS = ["client_secret_basic", "client_secret_post"]


def metadata() -> dict[str, Any]:
    settings = get_settings()
    issuer = settings.issuer
    return {
        "issuer": issuer,
        "token_endpoint": f"{issuer}/token",
        "device_authorization_endpoint": f"{issuer}/device_authorization",
        "jwks_uri": f"{issuer}/jwks.json",
        "grant_types_supported": sorted(GRANTS),
        "token_endpoint_auth_methods_supported": AUTH_METHODS,
        "scopes_supported": list(settings.scopes_supported),
        "response_types_supported": [],
        "access_token_signing_alg_values_supported": sorted(ALGORITHMS),
    }


def jwks() -> dict[str, Any]:
    from chalicelib import keys

    return keys.jwks()
