"""Authorization code grant, RFC 6749 §4.1.3-§4.1.4, with PKCE (RFC 7636 §4.5-§4.6).

this client's code (the client authenticated) -> same redirect_uri, PKCE verifier -> a
replayed code revokes what it issued (RFC 6749 §4.1.2) -> live -> the person can still
act -> mint (access token, ID token when `openid` was granted, refresh token when
`offline_access` was) and redeem the code, in one conditional write that records what was
minted (one transaction with the new refresh family) -> the token response.
Three DynamoDB calls when warm: the code (GetItem), the person by the username kept on
the code (GetItem), the redemption (UpdateItem, or TransactWriteItems with the family).
Decisions:
* A replay revokes only after passing every check a first redemption needs (RFC 9700
  §4.5): a used code alone, read from history or a log, gets `invalid_grant` and revokes
  nothing.
* Those checks (client, redirect_uri, PKCE) run on the code as read, before any write, so
  a wrong code_verifier or redirect_uri never burns the code: the legitimate client can
  still redeem it within its minute. RFC 6749 §4.1.3 and RFC 9700 would allow
  invalidating it, but that would hand anyone who saw the code (without the verifier) a
  way to deny the real client its tokens. The checked fields never change after issue, so
  the redemption's condition needs only "not redeemed, not expired".
* The code is redeemed exactly when what was minted from it is recorded (its jti, expiry
  and refresh family, created in the same transaction), so a replay, however close,
  always finds what to revoke; a request that loses the race has stored nothing, and
  revokes what the winner issued (the code was used twice, by someone with the verifier).
The ID token carries `at_hash`; profile and email claims come from userinfo, since an
access token is issued.
"""

from __future__ import annotations

from typing import Any, NoReturn

from chalicelib.errors import InvalidGrant, TemporarilyUnavailable
from chalicelib.grants.common import audience, mint
from chalicelib.http import Params
from chalicelib.records import authorization_codes, users
from chalicelib.records.authorization_codes import INVALID_CODE, AuthorizationCode
from chalicelib.records.clients import Client
from chalicelib.tokens import access_tokens, refresh_families
from chalicelib.tokens.access_tokens import IssuedToken
from chalicelib.tokens.refresh_tokens import OneTimeWrite

GRANT_TYPE = "authorization_code"


def handle(params: Params, client: Client) -> dict[str, Any]:
    record = authorization_codes.find(params.require("code"), client)
    authorization_codes.check_possession(
        record, params.get("redirect_uri"), params.get("code_verifier")
    )
    if record.redeemed_at is not None:
        revoke_issued(record)
        raise InvalidGrant(INVALID_CODE, detail="code replayed; issued tokens revoked")
    authorization_codes.check_live(record)
    if users.active_by_sub(record.sub, username=record.username) is None:
        raise InvalidGrant(INVALID_CODE, detail="user missing or disabled")
    granted = tuple(record.resources or ())

    def redemption(access: IssuedToken, family: str | None) -> OneTimeWrite:
        return authorization_codes.redemption(record, [access.jti], access.exp, family)

    minted = mint(
        client,
        sub=record.sub,
        scope=record.scope,
        audience=audience(params, granted),
        auth_time=int(record.auth_time),
        resources=granted,
        nonce=record.nonce,
        sid=record.session_id,
        username=record.username,
        amr=record.amr,
        redeem=redemption,
    )
    if not minted.redeemed:
        lost_redemption(record)
    return minted.response()


def lost_redemption(record: AuthorizationCode) -> NoReturn:
    """The redemption's condition failed: another request redeemed the code (a replay by
    someone who passed every check: revoke what it issued), or it expired meanwhile; a
    code neither redeemed nor expired met a conflicting write, and may be tried again."""
    stored = authorization_codes.reread(record)
    if stored is not None and stored.redeemed_at is not None:
        revoke_issued(stored)
        raise InvalidGrant(INVALID_CODE, detail="lost the redemption race")
    if stored is not None and stored.is_live():
        raise TemporarilyUnavailable(detail="code redemption conflicted; the code is unused")
    raise InvalidGrant(INVALID_CODE, detail="code expired during redemption")


def revoke_issued(record: AuthorizationCode) -> None:
    """Revoke every token a redeemed code issued (denylisted until their own exp)."""
    for jti, exp in authorization_codes.issued_access_tokens(record):
        access_tokens.revoke(jti, exp)
    if record.refresh_family_id:
        refresh_families.revoke(record.refresh_family_id, "code replay")
