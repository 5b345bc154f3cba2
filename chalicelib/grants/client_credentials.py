"""Client credentials grant, RFC 6749 §4.4.

Only confidential clients may use it; the token's `sub` is the client_id (RFC 9068 §2.2);
no refresh token is ever issued (§4.4.3).
"""

from __future__ import annotations

from typing import Any

from chalicelib import tokens
from chalicelib.clients import Client
from chalicelib.errors import UnauthorizedClient
from chalicelib.grants.common import audience, bearer_response, resolve_scope
from chalicelib.http import Params
from chalicelib.models import now

GRANT_TYPE = "client_credentials"


def handle(params: Params, client: Client) -> dict[str, Any]:
    if client.public:
        raise UnauthorizedClient("Public clients cannot use client_credentials")
    scope = resolve_scope(params.get("scope"), client.scopes, default=client.scope)
    access = tokens.issue_access_token(
        client=client, sub=client.client_id, scope=scope, audience=audience(params), now=now()
    )
    return bearer_response(access, scope)
