"""Token revocation, RFC 7009, as a straight line of named steps.

parse form -> authenticate client (as at /token) -> token required -> revoke it if it is
the caller's -> 200 with an empty body. Decisions:
* A refresh token revokes its whole family, and with it the access tokens issued beside it
  (§2.1 SHOULD); an access token's jti is denied until its own exp.
* `token_type_hint` only sets the order in which we look (§2.1 allows ignoring it); an
  unknown hint value is ignored rather than answered with unsupported_token_type (§2.2.1
  makes that error optional), since both token types we issue can be revoked.
* Unknown, expired, forged tokens and tokens of another client all answer 200 and revoke
  nothing (§2.2), so the endpoint tells no one whether a token exists.
"""

from __future__ import annotations

from collections.abc import Callable

from chalice import Response
from chalice.app import Request

from chalicelib.errors import NO_STORE, InvalidToken
from chalicelib.http import form_params
from chalicelib.records.clients import Client
from chalicelib.tokens import (
    access_tokens,
    by_hint,
    client_authentication,
    refresh_families,
    refresh_tokens,
)
from chalicelib.tokens.verification import verify_access_token


def handle(request: Request) -> Response:
    params = form_params(request)
    client = client_authentication.authenticate(request, params)
    token = params.require("token")
    for token_type in by_hint(params.get("token_type_hint")):
        if REVOKERS[token_type](token, client):
            break
    return Response(body="", status_code=200, headers=dict(NO_STORE))


def revoke_refresh_token(token: str, client: Client) -> bool:
    """True if `token` is a refresh token of ours (revoked only if it is the caller's)."""
    record = refresh_tokens.find(token)
    if record is None:
        return False
    if record.client_id == client.client_id:
        refresh_families.revoke(record.family_id)
    return True


def revoke_access_token(token: str, client: Client) -> bool:
    """True if `token` is a valid access token of ours (denied only if it is the caller's)."""
    try:
        claims = verify_access_token(token, check_revoked=False)
    except InvalidToken:
        return False
    if claims.get("client_id") == client.client_id:
        access_tokens.revoke(claims["jti"], int(claims["exp"]))
    return True


REVOKERS: dict[str, Callable[[str, Client], bool]] = {
    "access_token": revoke_access_token,
    "refresh_token": revoke_refresh_token,
}
