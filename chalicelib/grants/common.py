"""Steps the grants share: scope, audience (resource), and minting a grant's tokens.

RFC 6749 §3.3 (scope), §5.1 (the response), RFC 8707 §2 (resource indicators), OIDC Core
§3.1.3.3 and §12.2 (ID tokens at /token). Decisions:
* An omitted scope means the client's registered scope; a requested scope must be a subset.
* `resource` values must be absolute URIs without a fragment and become the token's `aud`;
  together they may take at most MAX_AUDIENCE_BYTES as JSON, so the token stays under KMS's
  signing limit. Without one, `aud` is `DEFAULT_AUDIENCE`.
* `mint` is the one place a grant's tokens are made: the refresh-family decision, the
  access token (carrying the family), the ID token when `openid` was granted to a person,
  and the refresh token. Everything is minted before the grant's one-time write (code
  redemption, device claim, rotation), so a lost race can revoke what it made.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from chalicelib.config import get_settings
from chalicelib.errors import InvalidScope, InvalidTarget
from chalicelib.http import Params
from chalicelib.models import now
from chalicelib.records.clients import Client
from chalicelib.tokens import refresh_families, refresh_tokens
from chalicelib.tokens.access_tokens import IssuedToken, issue_access_token
from chalicelib.tokens.id_tokens import issue_id_token

SCOPE_CHARS = frozenset(chr(c) for c in range(0x21, 0x7F)) - {'"', "\\"}
# KMS signs at most 4096 bytes (signing/kms.py); base64url of 2048 leaves room for the
# header and the other claims.
MAX_AUDIENCE_BYTES = 2048


def parse_scope(raw: str | None) -> list[str]:
    """RFC 6749 §3.3 scope-tokens: space-delimited, %x21 / %x23-5B / %x5D-7E; deduplicated."""
    if not raw:
        return []
    names = raw.split(" ")
    if any(not name or not set(name) <= SCOPE_CHARS for name in names):
        raise InvalidScope("Malformed scope")
    return list(dict.fromkeys(names))


def resolve_scope(raw: str | None, allowed: frozenset[str], default: str) -> str:
    requested = parse_scope(raw)
    if not requested:
        return default
    outside = [name for name in requested if name not in allowed]
    if outside:
        raise InvalidScope(f"Scope not allowed for this client: {' '.join(outside)[:100]}")
    return " ".join(requested)


def audience(params: Params) -> str | list[str]:
    resources = params.repeated.get("resource", [])
    for resource in resources:
        try:
            parts = urlsplit(resource)
        except ValueError as exc:
            raise InvalidTarget("resource must be an absolute URI") from exc
        if not parts.scheme or not parts.netloc or parts.fragment or "#" in resource:
            raise InvalidTarget("resource must be an absolute URI without a fragment")
    if len(json.dumps(resources)) > MAX_AUDIENCE_BYTES:
        raise InvalidTarget("resource values are too long")
    if not resources:
        return get_settings().default_audience
    return resources[0] if len(resources) == 1 else resources


@dataclass(frozen=True)
class Minted:
    """A grant's tokens; `new_family` is the refresh family this grant started, if any."""

    access: IssuedToken
    scope: str
    id_token: str | None = None
    refresh_token: str | None = None
    new_family: str | None = None

    def response(self) -> dict[str, Any]:
        """RFC 6749 §5.1 (and OIDC Core §3.1.3.3): the token response body."""
        body: dict[str, Any] = {
            "access_token": self.access.token,
            "token_type": "Bearer",
            "expires_in": self.access.expires_in,
        }
        if self.scope:
            body["scope"] = self.scope
        if self.refresh_token:
            body["refresh_token"] = self.refresh_token
        if self.id_token:
            body["id_token"] = self.id_token
        return body


def mint(
    client: Client,
    *,
    sub: str,
    scope: str,
    audience: str | list[str],
    auth_time: int | None,
    family: str | None = None,
    nonce: str | None = None,
    sid: str | None = None,
) -> Minted:
    """Mint a grant's tokens. `auth_time` None means no person (client_credentials): no ID
    token, no refresh token. `family` is an existing refresh family (the refresh grant)."""
    at = now()
    scopes = frozenset(scope.split())
    person = auth_time is not None
    new_family = None
    if family is None and refresh_tokens.should_issue(client, scopes, has_person=person):
        new_family = refresh_families.new_family_id()
    access = issue_access_token(
        client=client,
        sub=sub,
        scope=scope,
        audience=audience,
        now=at,
        auth_time=auth_time,
        refresh_family=family or new_family,
    )
    id_token = None
    if auth_time is not None and "openid" in scopes:
        id_token = issue_id_token(
            client=client,
            sub=sub,
            auth_time=auth_time,
            now=at,
            nonce=nonce,
            sid=sid,
            access_token=access.token,
        )
    refresh = None
    if new_family is not None:
        refresh = refresh_tokens.issue(client, sub, scope, auth_time, new_family)
    return Minted(access, scope, id_token, refresh, new_family)
