"""Discovery (OIDC Discovery 1.0 §3, RFC 8414 §2) and the JWKS (RFC 7517 §5).

One function builds the metadata for both well-known paths; it advertises only what is
implemented (the grant registry is the source of `grant_types_supported`; `offline_access`
is always a supported scope because refresh tokens hang on it). PKCE is advertised as
S256 only: `plain` exists solely for clients registered for it. Both signing algorithms are
listed for ID tokens and for access tokens because a client may pin either
(`id_token_signed_response_alg`, `access_token_signed_response_alg`); an unpinned client's
access tokens use `ACCESS_TOKEN_ALG`. `access_token_signing_alg_values_supported` is no
registered metadata name (RFC 9068 defines none); we keep it for the clients that read it.
`private_key_jwt` (RFC 7523) is accepted wherever a client authenticates, with the
assertion algorithms in `*_endpoint_auth_signing_alg_values_supported`.
`registration_endpoint` (RFC 7591) appears only when `REGISTRATION` is not off.
RFC 8414 §3.1: for an issuer with a path (`https://host/api`), the metadata is also served
at `/.well-known/oauth-authorization-server/api` and `/.well-known/openid-configuration/api`
under the host, for a stage mapped at the host's root (a custom domain's empty base path);
an issuer path of more than one segment is not served there (a route takes one segment).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from chalicelib.config import get_settings
from chalicelib.errors import NotFound
from chalicelib.grants import GRANTS
from chalicelib.records import assurance
from chalicelib.records.client_keys import ASSERTION_ALGORITHMS
from chalicelib.records.registration import RESPONSE_TYPES
from chalicelib.records.users import SCOPE_CLAIMS
from chalicelib.signing import keys
from chalicelib.signing.keys import ALGORITHMS
from chalicelib.tokens.refresh_tokens import OFFLINE_ACCESS

CONFIDENTIAL_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "private_key_jwt"]
# Public clients send only their client_id (`none`) at /token and /revoke (RFC 7009 §2.1);
# only confidential clients introspect.
AUTH_METHODS = [*CONFIDENTIAL_AUTH_METHODS, "none"]
OIDC_SCOPES = ("openid", "profile", "email")
ID_TOKEN_CLAIMS = [
    "sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "azp", "amr", "acr", "sid",
]  # fmt: skip


def metadata() -> dict[str, Any]:
    settings = get_settings()
    issuer = settings.issuer
    scopes = list(dict.fromkeys([*OIDC_SCOPES, *settings.scopes_supported, OFFLINE_ACCESS]))
    claims = [*ID_TOKEN_CLAIMS, *(c for names in SCOPE_CLAIMS.values() for c in names)]
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/authorize",
        "token_endpoint": f"{issuer}/token",
        "userinfo_endpoint": f"{issuer}/userinfo",
        "end_session_endpoint": f"{issuer}/logout",
        "device_authorization_endpoint": f"{issuer}/device_authorization",
        "jwks_uri": f"{issuer}/jwks.json",
        "grant_types_supported": sorted({*GRANTS, "implicit"}),
        "token_endpoint_auth_methods_supported": AUTH_METHODS,
        "token_endpoint_auth_signing_alg_values_supported": list(ASSERTION_ALGORITHMS),
        "revocation_endpoint_auth_signing_alg_values_supported": list(ASSERTION_ALGORITHMS),
        "introspection_endpoint_auth_signing_alg_values_supported": list(ASSERTION_ALGORITHMS),
        "revocation_endpoint": f"{issuer}/revoke",
        "revocation_endpoint_auth_methods_supported": AUTH_METHODS,
        "introspection_endpoint": f"{issuer}/introspect",
        "introspection_endpoint_auth_methods_supported": CONFIDENTIAL_AUTH_METHODS,
        "scopes_supported": scopes,
        "response_types_supported": list(RESPONSE_TYPES),
        "response_modes_supported": ["query", "fragment", "form_post"],
        "code_challenge_methods_supported": ["S256"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": list(ALGORITHMS),
        "access_token_signing_alg_values_supported": list(ALGORITHMS),
        "claims_supported": claims,
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "require_request_uri_registration": False,
        "authorization_response_iss_parameter_supported": True,
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        "acr_values_supported": list(assurance.ACR_VALUES),
        "frontchannel_logout_supported": False,
        "backchannel_logout_supported": False,
        "client_id_metadata_document_supported": True,
        **_registration(issuer),
    }


def _registration(issuer: str) -> dict[str, Any]:
    if get_settings().registration == "off":
        return {}
    return {"registration_endpoint": f"{issuer}/register"}


def path_inserted_metadata(issuer_path: str) -> dict[str, Any]:
    """RFC 8414 §3.1: the metadata at `/.well-known/<name>/<issuer path>`, only for ours."""
    if issuer_path.strip("/") != urlsplit(get_settings().issuer).path.strip("/"):
        raise NotFound("No authorization server has this issuer path here")
    return metadata()


def jwks() -> dict[str, Any]:
    return keys.jwks()
