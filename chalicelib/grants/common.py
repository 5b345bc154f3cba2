"""Steps shared by several grants: scope resolution, audience, the token response body.

RFC 6749 §3.3 (scope), RFC 8707 §2 (resource indicators). Decisions: an omitted scope
means the client's registered scope; a requested scope must be a subset of it. `resource`
values must be absolute URIs without a fragment and become the token's `aud`; together they
may take at most MAX_AUDIENCE_BYTES as JSON, so the token stays under KMS's signing limit.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from chalicelib.config import get_settings
from chalicelib.errors import InvalidScope, InvalidTarget
from chalicelib.http import Params
from chalicelib.tokens import IssuedToken

SCOPE_CHARS = frozenset(chr(c) for c in range(0x21, 0x7F)) - {'"', "\\"}
# KMS signs at most 4096 bytes (keys.KMS_MESSAGE_LIMIT); base64url of 2048 leaves room for
# the header and the other claims.
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


def id_token_for(
    client: Any,
    sub: str,
    scope: str,
    auth_time: int | None,
    at: int,
    access: IssuedToken,
    **claims: Any,
) -> str | None:
    """An ID token when `openid` was granted (OIDC Core §3.1.3.3, §12.2), else None."""
    if "openid" not in scope.split() or auth_time is None:
        return None
    from chalicelib import id_tokens

    return id_tokens.issue_id_token(
        client=client, sub=sub, auth_time=int(auth_time), now=at, access_token=access.token,
        **claims,
    )  # fmt: skip


def bearer_response(access: IssuedToken, scope: str, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "access_token": access.token,
        "token_type": "Bearer",
        "expires_in": access.expires_in,
    }
    if scope:
        body["scope"] = scope
    body.update({k: v for k, v in extra.items() if v is not None})
    return body
