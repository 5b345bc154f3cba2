"""Refresh token grant, RFC 6749 §6, with rotation and reuse detection (RFC 9700 §4.14.2).

The token must belong to the authenticated client (a public client: its client_id). The
requested scope may narrow the original grant, never widen it (invalid_scope); the new
refresh token keeps the original scope (§6). A person who can no longer act gets
invalid_grant and the family is revoked, so re-enabling the account does not revive it:
the rotation's transaction checks the person and the family, so a warm refresh makes two
DynamoDB calls, the token's read and that transaction. The access token is minted before
the rotation commits: if signing fails the old token is still unused, so a client never
loses its grant to a KMS fault. A grant with `openid` gets a fresh ID token with the
original sub and auth_time and no nonce (OIDC Core §12.2).
`resource` (RFC 8707 §2.2) chooses within the family's granted resources, never beyond.
Storage, rotation and the grace window are in tokens/refresh_tokens.py.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from chalicelib.errors import InvalidScope
from chalicelib.grants.common import audience, mint, parse_scope
from chalicelib.http import Params
from chalicelib.records.clients import Client
from chalicelib.tokens import refresh_tokens

GRANT_TYPE = "refresh_token"


def handle(params: Params, client: Client) -> dict[str, Any]:
    presented = params.require("refresh_token")
    record = refresh_tokens.load(presented, client)
    scope = narrowed_scope(params.get("scope"), record.scope)
    minted = mint(
        client,
        sub=record.sub,
        scope=scope,
        audience=audience(params, refresh_tokens.granted_resources(record)),
        auth_time=record.auth_time,
        amr=record.amr,
        family=record.family_id,
    )
    successor = refresh_tokens.rotate(record, presented)  # the person may act, or it fails
    return replace(minted, refresh_token=successor).response()


def narrowed_scope(raw: str | None, granted: str) -> str:
    requested = parse_scope(raw)
    if not requested:
        return granted
    wider = [name for name in requested if name not in granted.split()]
    if wider:
        raise InvalidScope(f"Scope exceeds the original grant: {' '.join(wider)[:100]}")
    return " ".join(requested)
