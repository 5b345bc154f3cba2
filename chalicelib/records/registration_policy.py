"""What a client that registers itself may be: RFC 7591 §2 metadata read field by field and
held to a registration policy (`open`, `token`, or `document` for a Client ID Metadata
Document), through the one validator the admin CLI uses (registration.client_meta).

The policies are described in records/dynamic_registration.py, which applies them at
/register; records/client_documents.py applies `document`, which is `open`'s. Besides
RFC 7591's names, `require_mfa` (a boolean, Gatehouse's own) asks that every sign-in for
the client be multi-factor (records/assurance.py); a client may only make itself stricter.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from chalicelib.config import get_settings
from chalicelib.errors import InvalidClientMetadata, InvalidRedirectUri
from chalicelib.models import now
from chalicelib.records import registration, resources
from chalicelib.records.client_records import LOOPBACK_HOSTS

OIDC_SCOPES = ("openid", "profile", "email", "offline_access")
OPEN_GRANTS = ("authorization_code", "refresh_token")
DOCUMENT = "document"  # a Client ID Metadata Document (records/client_documents.py)
PUBLIC_ONLY = ("open", DOCUMENT)
STRINGS = (
    "client_name",
    "client_uri",
    "logo_uri",
    "scope",
    "token_endpoint_auth_method",
    "jwks_uri",
    "token_endpoint_auth_signing_alg",
)
STRING_LISTS = ("redirect_uris", "grant_types", "response_types", "post_logout_redirect_uris")
DAY = 86400


def typed(metadata: Any) -> dict[str, Any]:
    """RFC 7591 §2: the fields we know, each of its JSON type; the rest is ignored."""
    if not isinstance(metadata, dict):
        raise InvalidClientMetadata("The request body must be a JSON object")
    fields: dict[str, Any] = {}
    for name in STRINGS:
        if name in metadata and not isinstance(metadata[name], str):
            raise InvalidClientMetadata(f"{name} must be a string")
    for name in STRING_LISTS:
        value = metadata.get(name)
        if name in metadata and not (
            isinstance(value, list) and all(isinstance(item, str) for item in value)
        ):
            raise InvalidClientMetadata(f"{name} must be an array of strings")
    if "jwks" in metadata and not isinstance(metadata["jwks"], dict):
        raise InvalidClientMetadata("jwks must be a JSON object (a JWK Set)")
    if "require_mfa" in metadata and not isinstance(metadata["require_mfa"], bool):
        raise InvalidClientMetadata("require_mfa must be true or false")
    for name in (*STRINGS, *STRING_LISTS, "client_id", "jwks", "require_mfa"):
        if name in metadata:
            fields[name] = metadata[name]
    for name in ("client_uri", "logo_uri"):
        if name in fields and not _is_https_url(fields[name]):
            raise InvalidClientMetadata(f"{name} must be an https URL")
    return fields


def validated(fields: dict[str, Any], mode: str) -> dict[str, Any]:
    """The record fields for `fields` under `mode`, through the admin CLI's validator."""
    settings = get_settings()
    public_only = mode in PUBLIC_ONLY
    method = fields.get("token_endpoint_auth_method", "none" if public_only else None)
    grants = fields.get("grant_types") or ["authorization_code"]
    allowed_scopes, granted_resources = _bounds(mode)
    scope = fields.get("scope", " ".join(allowed_scopes))
    if not set(scope.split()) <= set(allowed_scopes):
        extra = sorted(set(scope.split()) - set(allowed_scopes))
        raise InvalidClientMetadata(f"scope not available to this client: {' '.join(extra)}")
    meta = registration.client_meta(
        name=fields.get("client_name") or "unnamed client",
        grant_types=grants,
        redirect_uris=fields.get("redirect_uris", []),
        post_logout_redirect_uris=fields.get("post_logout_redirect_uris", []),
        scope=scope,
        public=method == "none",
        require_pkce=public_only,
        auth_method=method,
        response_types=fields.get("response_types"),
        resources=granted_resources,
        registered_by=mode,
        client_uri=fields.get("client_uri"),
        logo_uri=fields.get("logo_uri"),
        jwks=fields.get("jwks"),
        jwks_uri=fields.get("jwks_uri"),
        token_endpoint_auth_signing_alg=fields.get("token_endpoint_auth_signing_alg"),
        require_mfa=bool(fields.get("require_mfa", False)),
        expires_at=None if mode == DOCUMENT else now() + settings.registered_client_idle_days * DAY,
    )
    if public_only:
        _check_open(method, grants, fields, mode)
    return meta


def _bounds(mode: str) -> tuple[list[str], list[str]]:
    """The scopes a client registering under `mode` may have, and the resources it gets."""
    settings = get_settings()
    every = resources.all_resources()
    opened = [resource for resource in every if resource.open]
    scopes = [*OIDC_SCOPES, *(s for resource in opened for s in resource.scopes)]
    uris = [resource.uri for resource in opened]
    if mode == "token":
        scopes += [*settings.scopes_supported, *(s for r in every for s in r.scopes)]
        uris = [settings.default_audience, *uris]
    return list(dict.fromkeys(scopes)), uris


def _check_open(method: str | None, grants: list[str], fields: dict[str, Any], mode: str) -> None:
    # a metadata document may prove its keys (private_key_jwt), it can hold no secret
    methods = ("none", "private_key_jwt") if mode == DOCUMENT else ("none",)
    if method not in methods:
        raise InvalidClientMetadata(f"this registration allows auth method {' or '.join(methods)}")
    if "authorization_code" not in grants or not set(grants) <= set(OPEN_GRANTS):
        raise InvalidClientMetadata("open registration allows authorization_code (+ refresh_token)")
    if fields.get("response_types", ["code"]) != ["code"]:
        raise InvalidClientMetadata("open registration allows response_types code only")
    for uri in fields.get("redirect_uris", []):
        parts = urlsplit(uri)
        if not (_is_https_url(uri) or (parts.scheme == "http" and parts.hostname in LOOPBACK)):
            raise InvalidRedirectUri(f"redirect URIs must be https or loopback http: {uri}")


LOOPBACK = {*LOOPBACK_HOSTS, "localhost"}


def _is_https_url(value: str) -> bool:
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme == "https" and bool(parts.hostname) and "#" not in value
