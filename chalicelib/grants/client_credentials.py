"""Client credentials grant, RFC 6749 §4.4.

Only confidential clients may use it; the token's `sub` is the client_id (RFC 9068 §2.2);
no refresh token and no ID token are ever issued (§4.4.3): there is no person. `resource`
(RFC 8707 §2) may name only the client's registered resources.
"""

from __future__ import annotations

from typing import Any

from chalicelib.errors import UnauthorizedClient
from chalicelib.grants.common import audience, granted_resources, mint, resolve_scope
from chalicelib.http import Params
from chalicelib.records.clients import Client

GRANT_TYPE = "client_credentials"


def handle(params: Params, client: Client) -> dict[str, Any]:
    if client.public:
        raise UnauthorizedClient("Public clients cannot use client_credentials")
    scope = resolve_scope(params.get("scope"), client.scopes, default=client.scope)
    aud = audience(params, granted_resources(params, client))
    minted = mint(client, sub=client.client_id, scope=scope, audience=aud, auth_time=None)
    return minted.response()
