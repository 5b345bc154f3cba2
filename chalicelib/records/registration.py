"""Client registration by an administrator: metadata checked as RFC 7591 §2 names it.

A rule broken is answered with RFC 7591 §3.2.2's errors (`invalid_redirect_uri`,
`invalid_client_metadata`), which the admin CLI prints and exits 2 for.
Decisions: client_id is random (128 bits, hex: it never starts with `-`, which a command
line would read as an option), the secret 256 bits and shown once (only its
SHA-256 is stored); public clients authenticate with `none` and must use PKCE; redirect
URIs are absolute, without fragments (RFC 6749 §3.1.2), https or loopback http or a
private-use scheme (RFC 8252 §7.1). The resources a client may ask tokens for (RFC 8707 §2)
are absolute URIs without fragments, each a registered resource server
(records/resources.py: a token's `aud` is always one) or `DEFAULT_AUDIENCE`; without any,
it gets `DEFAULT_AUDIENCE` alone, written on the record so `client show` says so. A client
may pin the algorithm of its ID tokens and of its access tokens to one we sign with
(RS256, ES256); an access token algorithm left unset follows the stage's `ACCESS_TOKEN_ALG`.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict
from typing import Any
from urllib.parse import urlsplit

from chalicelib.config import get_settings
from chalicelib.errors import InvalidClientMetadata, InvalidRedirectUri
from chalicelib.models import ClientModel
from chalicelib.opaque import new_value, sha256_hex
from chalicelib.records import client_keys, resources
from chalicelib.records.client_records import (
    AUTH_METHODS,
    SECRET_METHODS,
    Client,
    from_record,
    is_resource_uri,
)
from chalicelib.signing.keys import ALGORITHMS

DEVICE_CODE = "urn:ietf:params:oauth:grant-type:device_code"
GRANT_TYPES = (
    "authorization_code",
    "implicit",
    "password",
    "client_credentials",
    "refresh_token",
    DEVICE_CODE,
)
RESPONSE_TYPES = (
    "code",
    "token",
    "id_token",
    "id_token token",
    "code id_token",
    "code token",
    "code id_token token",
)
REDIRECTING_GRANTS = {"authorization_code", "implicit"}
ALG_FIELDS = ("id_token_signed_response_alg", "access_token_signed_response_alg")


def _check_redirect_uri(uri: str) -> None:
    try:
        parts = urlsplit(uri)
    except ValueError as exc:  # "http://[::1" (an unclosed IPv6 literal)
        raise InvalidRedirectUri(f"redirect URI is not a valid URI: {uri}") from exc
    if not parts.scheme or parts.fragment or "#" in uri:
        raise InvalidRedirectUri(f"redirect URI must be absolute without a fragment: {uri}")
    if parts.scheme == "http" and parts.hostname not in {"127.0.0.1", "::1", "localhost"}:
        raise InvalidRedirectUri(f"http redirect URIs are for loopback only: {uri}")
    if parts.scheme in {"javascript", "data", "file", "vbscript"}:
        raise InvalidRedirectUri(f"redirect URI scheme not allowed: {uri}")


def _check(meta: dict[str, Any]) -> None:
    unknown = set(meta["grant_types"]) - set(GRANT_TYPES)
    if unknown:
        raise InvalidClientMetadata(f"unknown grant type(s): {', '.join(sorted(unknown))}")
    bad_types = set(meta["response_types"]) - set(RESPONSE_TYPES)
    if bad_types:
        raise InvalidClientMetadata(f"unknown response type(s): {', '.join(sorted(bad_types))}")
    if meta["token_endpoint_auth_method"] not in AUTH_METHODS:
        raise InvalidClientMetadata(f"auth method must be one of {', '.join(AUTH_METHODS)}")
    if meta["public"] != (meta["token_endpoint_auth_method"] == "none"):
        raise InvalidClientMetadata("public clients, and only they, use auth method none")
    client_keys.check(meta)
    if meta["public"] and "client_credentials" in meta["grant_types"]:
        raise InvalidClientMetadata("public clients cannot use client_credentials")
    if REDIRECTING_GRANTS & set(meta["grant_types"]) and not meta["redirect_uris"]:
        raise InvalidClientMetadata("this grant type needs at least one --redirect-uri")
    for uri in meta["redirect_uris"] + meta["post_logout_redirect_uris"]:
        _check_redirect_uri(uri)
    for field in ALG_FIELDS:
        if meta.get(field) not in (None, *ALGORITHMS):
            raise InvalidClientMetadata(f"{field} must be one of {', '.join(ALGORITHMS)}")
    for resource in meta["resources"]:
        if not is_resource_uri(resource):
            raise InvalidClientMetadata(
                f"resource must be an absolute URI without a fragment: {resource}"
            )
    default = get_settings().default_audience
    for resource in meta["resources"]:
        if resource != default and resources.get_resource(resource) is None:
            raise InvalidClientMetadata(
                f"resource is not registered (admin resource create --uri): {resource}"
            )


def create_client(**fields: Any) -> tuple[Client, str | None]:
    """Register a client; returns it and its secret (None for a public client)."""
    meta = client_meta(**fields)
    secret = new_value() if meta["token_endpoint_auth_method"] in SECRET_METHODS else None
    record = ClientModel(
        client_id=secrets.token_hex(16),
        secret_hash=sha256_hex(secret) if secret else None,
        **meta,
    )
    record.save(condition=ClientModel.client_id.does_not_exist())
    return from_record(record), secret


def client_meta(
    *,
    name: str,
    grant_types: list[str],
    redirect_uris: list[str] | None = None,
    scope: str = "",
    public: bool = False,
    auth_method: str | None = None,
    response_types: list[str] | None = None,
    post_logout_redirect_uris: list[str] | None = None,
    resources: list[str] | None = None,
    **flags: Any,
) -> dict[str, Any]:
    """A client's record fields from its metadata, every rule checked (the one validator of
    the admin CLI and of /register)."""
    grants = list(dict.fromkeys(grant_types))
    require_pkce = bool(flags.pop("require_pkce", False)) or public
    default_responses = ["code"] if "authorization_code" in grants else []
    meta: dict[str, Any] = {
        "name": name,
        "grant_types": grants,
        "redirect_uris": list(redirect_uris or []),
        "post_logout_redirect_uris": list(post_logout_redirect_uris or []),
        "response_types": list(response_types or default_responses),
        "scope": " ".join(scope.split()),
        "public": public,
        "token_endpoint_auth_method": auth_method or ("none" if public else "client_secret_basic"),
        "require_pkce": require_pkce,
        "resources": list(dict.fromkeys(resources or [get_settings().default_audience])),
        **flags,
    }
    _check(meta)
    if isinstance(meta.get("jwks"), dict):
        meta["jwks"] = json.dumps(meta["jwks"], sort_keys=True)
    return meta


def rotate_secret(client_id: str) -> str:
    record = ClientModel.get(client_id)
    if record.token_endpoint_auth_method not in SECRET_METHODS:
        raise InvalidClientMetadata("this client authenticates without a secret")
    secret = new_value()
    record.update(actions=[ClientModel.secret_hash.set(sha256_hex(secret))])
    return secret


def describe(client: Client) -> dict[str, Any]:
    """The client's metadata as JSON, never its secret hash."""
    view = asdict(client)
    view.pop("secret_hash")
    if view["expires_at"] is None:
        view.pop("expires_at")
    return {k: list(v) if isinstance(v, tuple) else v for k, v in view.items()}
