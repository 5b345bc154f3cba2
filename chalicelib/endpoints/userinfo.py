"""UserInfo, OIDC Core §5.3, with bearer tokens as RFC 6750 §2.1-§2.2 sends them.

The token comes in the Authorization header (GET or POST) or as `access_token` in a form
body (POST), exactly one of them; query-string tokens are not accepted (RFC 6750 §2.3,
RFC 9700 §4.3.2). It must be an access token we issued, unexpired, not revoked, carrying
`openid`, for a user who still exists and is not disabled. Errors follow RFC 6750 §3: a
request with no token gets a bare `Bearer` challenge, a bad token `invalid_token` (401),
a token without `openid` `insufficient_scope` (403).
"""

from __future__ import annotations

from chalice import Response
from chalice.app import Request

from chalicelib.errors import InsufficientScope, InvalidRequest, InvalidToken
from chalicelib.http import form_params, json_response
from chalicelib.records import users
from chalicelib.tokens.verification import verify_access_token

CHALLENGE = 'Bearer realm="gatehouse"'


def handle(request: Request) -> Response:
    token = bearer_token(request)
    claims = verify_access_token(token)
    scopes = frozenset(str(claims.get("scope", "")).split())
    if "openid" not in scopes:
        raise InsufficientScope("The access token does not carry the openid scope")
    user = users.active_by_sub(claims["sub"])
    if user is None:
        raise InvalidToken("The access token is invalid", detail="user gone or disabled")
    return json_response(users.claims_for(user, scopes))


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization")
    in_body = None
    if request.method == "POST" and request.raw_body:
        in_body = form_params(request).get("access_token")
    if header and in_body:
        raise _invalid_request("Send the access token in one place only")
    if header:
        scheme, _, token = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _invalid_request("Use the Bearer authorization scheme")
        return token.strip()
    if in_body:
        return in_body
    err = InvalidToken("No access token")
    err.headers["WWW-Authenticate"] = CHALLENGE  # §3.1: no error code without credentials
    raise err


def _invalid_request(description: str) -> InvalidRequest:
    err = InvalidRequest(description)
    err.headers["WWW-Authenticate"] = f'{CHALLENGE}, error="invalid_request"'
    return err
