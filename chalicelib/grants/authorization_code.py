"""Authorization code grant, RFC 6749 §4.1.3-§4.1.4, with PKCE (RFC 7636 §4.5-§4.6).

this client's code (the client authenticated) -> same redirect_uri, PKCE verifier -> a
replayed code revokes what it issued (RFC 6749 §4.1.2) -> live -> the person can still
act -> mint (access token, ID token when `openid` was granted, refresh token when
`offline_access` was) -> redeem the code in one conditional write that records what was
minted -> the token response.
A replay revokes only after passing every check a first redemption needs (RFC 9700
§4.5): a used code alone, read from history or a log, gets `invalid_grant` and revokes
nothing. Minting before redeeming means a replay, however close, always finds the
refresh family to revoke; a request that loses the redemption race revokes the family it
minted (nobody will ever hold it) and what the winner issued (the code was used twice).
The ID token carries `at_hash`; profile and email claims come from userinfo, since an
access token is issued.
"""

from __future__ import annotations

from typing import Any

from chalicelib.errors import InvalidGrant
from chalicelib.grants.common import audience, mint
from chalicelib.http import Params
from chalicelib.records import authorization_codes, users
from chalicelib.records.authorization_codes import INVALID_CODE, AuthorizationCode
from chalicelib.records.clients import Client
from chalicelib.tokens import access_tokens, refresh_families

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
    if users.active_by_sub(record.sub) is None:
        raise InvalidGrant(INVALID_CODE, detail="user missing or disabled")
    granted = tuple(record.resources or ())
    minted = mint(
        client,
        sub=record.sub,
        scope=record.scope,
        audience=audience(params, granted),
        auth_time=int(record.auth_time),
        resources=granted,
        nonce=record.nonce,
        sid=record.session_id,
    )
    access = minted.access
    if not authorization_codes.redeem(record, [access.jti], access.exp, minted.new_family):
        if minted.new_family:
            refresh_families.revoke(minted.new_family, "lost code redemption race")
        winner = authorization_codes.reread(record)
        if winner is not None and winner.redeemed_at is not None:
            revoke_issued(winner)
        raise InvalidGrant(INVALID_CODE, detail="lost the redemption race")
    return minted.response()


def revoke_issued(record: AuthorizationCode) -> None:
    """Revoke every token a redeemed code issued (denylisted until their own exp)."""
    for jti, exp in authorization_codes.issued_access_tokens(record):
        access_tokens.revoke(jti, exp)
    if record.refresh_family_id:
        refresh_families.revoke(record.refresh_family_id, "code replay")
