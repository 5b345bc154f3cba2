"""Discovery (OIDC Discovery 1.0 §3, RFC 8414 §2) and the JWKS (RFC 7517 §5).

One function builds the metadata for both well-known paths; it advertises only what is
implemented (the grant registry is the source of `grant_types_supported`; `offline_access`
is always a supported scope because refresh tokens hang on it).
"""

from __future__ import annotations

from typing import Any

from chalicelib.config import get_settings
from chalicelib.grants import GRANTS
from chalicelib.keys import ALGORITHMS

CONFIDENTIAL_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]
# Public clients send only their client_id (`none`) at /token and /revoke (RFC 7009 §2.1);
# only confidential clients introspect.
AUTH_METHODS = [*CONFIDENTIAL_AUTH_METHODS, "none"]
OFFLINE_ACCESS = "offline_access"


def metadata() -> dict[str, Any]:
    settings = get_settings()
    issuer = settings.issuer
    return {
        "issuer": issuer,
        "token_endpoint": f"{issuer}/token",
        "jwks_uri": f"{issuer}/jwks.json",
        "grant_types_supported": sorted(GRANTS),
        "token_endpoint_auth_methods_supported": AUTH_METHODS,
        "revocation_endpoint": f"{issuer}/revoke",
        "revocation_endpoint_auth_methods_supported": AUTH_METHODS,
        "introspection_endpoint": f"{issuer}/introspect",
        "introspection_endpoint_auth_methods_supported": CONFIDENTIAL_AUTH_METHODS,
        "scopes_supported": list(dict.fromkeys([*settings.scopes_supported, OFFLINE_ACCESS])),
        "response_types_supported": [],
        "access_token_signing_alg_values_supported": sorted(ALGORITHMS),
    }


def jwks() -> dict[str, Any]:
    from chalicelib import keys

    return keys.jwks()
