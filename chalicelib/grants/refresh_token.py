"""Refresh token grant, RFC 6749 §6, with rotation and reuse detection (RFC 9700 §4.14.2).

The token must belong to the authenticated client (a public client: its client_id). The
requested scope may narrow the original grant, never widen it (invalid_scope); the new
refresh token keeps the original scope (§6). A user who is gone or disabled gets
invalid_grant and the family is revoked, so re-enabling the account does not revive it.
The access token is signed before the rotation commits: if signing fails the old token is
still unused, so a client never loses its grant to a KMS fault. A grant with `openid`
gets a fresh ID token (OIDC Core §12.2). Storage, rotation and the
grace window are in refresh_tokens.py.
"""

from __future__ import annotations

from typing import Any

from chalicelib import refresh_tokens, tokens, users
from chalicelib.clients import Client
from chalicelib.errors import InvalidGrant, InvalidScope
from chalicelib.grants.common import audience, bearer_response, id_token_for, parse_scope
from chalicelib.http import Params
from chalicelib.models import now

GRANT_TYPE = "refresh_token"


def handle(params: Params, client: Client) -> dict[str, Any]:
    presented = params.require("refresh_token")
    record = refresh_tokens.load(presented, client)
    scope = narrowed_scope(params.get("scope"), record.scope)
    check_user(record)
    at = now()
    access = tokens.issue_access_token(
        client=client, sub=record.sub, scope=scope, audience=audience(params),
        auth_time=record.auth_time, now=at, refresh_family=record.family_id,
    )  # fmt: skip
    # OIDC Core §12.2: same sub and auth_time as the original authentication, no nonce.
    id_token = id_token_for(client, record.sub, scope, record.auth_time, at, access)
    successor = refresh_tokens.rotate(record, presented)
    return bearer_response(access, scope, refresh_token=successor, id_token=id_token)


def narrowed_scope(raw: str | None, granted: str) -> str:
    requested = parse_scope(raw)
    if not requested:
        return granted
    wider = [name for name in requested if name not in granted.split()]
    if wider:
        raise InvalidScope(f"Scope exceeds the original grant: {' '.join(wider)[:100]}")
    return " ".join(requested)


def check_user(record: Any) -> None:
    user = users.get_user_by_sub(record.sub)
    if user is None or user.disabled:
        refresh_tokens.revoke_family(record.family_id, "user disabled")
        raise InvalidGrant(refresh_tokens.INVALID, detail="user missing or disabled")
