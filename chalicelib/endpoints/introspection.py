"""Token introspection, RFC 7662, as a straight line of named steps.

parse form -> authenticate client -> client may introspect -> token required -> describe
it -> no-store JSON. Decisions:
* Only confidential clients registered with `can_introspect` may call (§2.1, §4); another
  authenticated client gets 403 unauthorized_client, a failed authentication 401.
* Anything not active (expired, revoked, malformed, another issuer, a bad signature, a
  forged header, a refresh token of another client) is `{"active": false}` and nothing
  else (§2.2), so the answer never tells those apart.
* Access tokens: any introspecting client may ask (they are resource servers);
  `token_type` is "Bearer" (§2.2 points at RFC 6749 §5.1). Refresh tokens: only their own
  client, `token_type` "refresh_token" (§5.1 names no type for them). A person's token
  (access or refresh) is inactive once their account is disabled or deleted, as userinfo
  and the refresh grant already refuse it; a client_credentials token (`sub` is the
  client_id, RFC 9068 §2.2) has no person behind it.
* `token_type_hint` sets the order of lookups only (§2.1).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalice import Response
from chalice.app import Request

from chalicelib.errors import InvalidToken, UnauthorizedClient
from chalicelib.http import form_params, json_response
from chalicelib.records import users
from chalicelib.records.clients import Client
from chalicelib.tokens import by_hint, client_authentication, refresh_tokens
from chalicelib.tokens.verification import verify_access_token

ACCESS_TOKEN_MEMBERS = ("scope", "client_id", "sub", "aud", "iss", "exp", "iat", "jti")


def handle(request: Request) -> Response:
    params = form_params(request)
    client = client_authentication.authenticate(request, params)
    check_may_introspect(client)
    token = params.require("token")
    for token_type in by_hint(params.get("token_type_hint")):
        members = DESCRIBERS[token_type](token, client)
        if members is not None:
            return json_response({"active": True, **members})
    return json_response({"active": False})


def check_may_introspect(client: Client) -> None:
    if client.public or not client.can_introspect:
        raise UnauthorizedClient("Client may not introspect tokens", status_code=403)


def describe_access_token(token: str, client: Client) -> dict[str, Any] | None:
    try:
        claims = verify_access_token(token)
    except InvalidToken:
        return None
    if claims["sub"] != claims.get("client_id") and users.active_by_sub(claims["sub"]) is None:
        return None  # a person's token dies with their account (as at userinfo)
    members = {name: claims[name] for name in ACCESS_TOKEN_MEMBERS if name in claims}
    for name in ("auth_time", "acr", "amr"):  # RFC 9068 §2.2.1, as the token says
        if name in claims:
            members[name] = claims[name]
    return {**members, "token_type": "Bearer"}


def describe_refresh_token(token: str, client: Client) -> dict[str, Any] | None:
    members = refresh_tokens.describe(token, client)
    if members is None or users.active_by_sub(members["sub"]) is None:
        return None
    return members


DESCRIBERS: dict[str, Callable[[str, Client], dict[str, Any] | None]] = {
    "access_token": describe_access_token,
    "refresh_token": describe_refresh_token,
}
