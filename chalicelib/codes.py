"""Authorization codes: issue, check, redeem once, and revoke what a replayed code issued.

RFC 6749 §4.1.2 and §10.5, OIDC Core §3.1.3.2, RFC 9700 §4.5.
Decisions:
* 256 random bits, stored as SHA-256 with everything the token request needs; lifetime
  `CODE_LIFETIME` (60 s) checked at every read (DynamoDB TTL deletes late).
* Redemption is one conditional write (not yet redeemed, not expired) that also records the
  jti and expiry of the tokens minted for it, so a replay always finds what to revoke. The
  tokens are minted first and thrown away if the write loses: no two requests get tokens.
* A code presented again, or by a request that loses the race, gets `invalid_grant` and
  revokes every access token issued from it (denylisted until their own exp) and the
  refresh-token family it started (RFC 9700 §4.5.3.1 / §4.14).
* A code presented by another client is refused without being consumed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib import pkce, refresh_tokens, tokens
from chalicelib.clients import Client
from chalicelib.config import get_settings
from chalicelib.errors import InvalidGrant
from chalicelib.models import AuthorizationCodeModel, now
from chalicelib.tokens import random_token, sha256_hex

INVALID = "The authorization code is invalid, expired or already used"


@dataclass(frozen=True)
class CodeGrant:
    """What the authorization step decided, to be carried to the token request."""

    client_id: str
    redirect_uri: str
    redirect_uri_given: bool
    scope: str
    sub: str
    auth_time: int
    sid: str | None = None
    nonce: str | None = None
    code_challenge: str | None = None
    code_challenge_method: str | None = None


def issue(grant: CodeGrant) -> str:
    code = random_token()
    AuthorizationCodeModel(
        code_hash=sha256_hex(code),
        client_id=grant.client_id,
        redirect_uri=grant.redirect_uri,
        redirect_uri_given=grant.redirect_uri_given,
        scope=grant.scope,
        sub=grant.sub,
        session_id=grant.sid,
        nonce=grant.nonce,
        code_challenge=grant.code_challenge,
        code_challenge_method=grant.code_challenge_method,
        auth_time=grant.auth_time,
        expires_at=now() + get_settings().code_lifetime,
    ).save()
    return code


def check(code: str, client: Client, redirect_uri: str | None, verifier: str | None) -> Any:
    """The live, unredeemed code record for this client, redirect_uri and PKCE verifier."""
    record = _get(code)
    if record is None or record.client_id != client.client_id:
        raise InvalidGrant(INVALID, detail="unknown code or other client")
    if record.redeemed_at is not None:
        revoke_issued(record)
        raise InvalidGrant(INVALID, detail="code replayed; issued tokens revoked")
    if not record.is_live():
        raise InvalidGrant(INVALID, detail="code expired")
    if (redirect_uri is not None or record.redirect_uri_given) and (
        redirect_uri != record.redirect_uri
    ):
        raise InvalidGrant("redirect_uri does not match the authorization request")
    pkce.verify(verifier, record.code_challenge, record.code_challenge_method)
    return record


def redeem(
    record: Any, issued: list[tokens.IssuedToken], refresh_family_id: str | None = None
) -> None:
    """Mark the code used, recording what was issued; InvalidGrant if another request won
    (this request's own refresh family is revoked then: nobody will ever hold it)."""
    from pynamodb.exceptions import UpdateError

    at = now()
    model = AuthorizationCodeModel
    try:
        record.update(
            actions=[
                model.redeemed_at.set(at),
                model.issued_jtis.set([token.jti for token in issued]),
                model.issued_exp.set(max((token.exp for token in issued), default=at)),
                *([model.refresh_family_id.set(refresh_family_id)] if refresh_family_id else []),
            ],
            condition=model.redeemed_at.does_not_exist() & (model.expires_at > at),
        )
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        if refresh_family_id:
            refresh_tokens.revoke_family(refresh_family_id, "lost code redemption race")
        current = _get_by_hash(record.code_hash)
        if current is not None and current.redeemed_at is not None:
            revoke_issued(current)
        raise InvalidGrant(INVALID, detail="lost the redemption race") from exc


def revoke_issued(record: Any) -> None:
    exp = int(record.issued_exp or now())
    for jti in record.issued_jtis or ():
        tokens.revoke_access_token(jti, exp)
    if record.refresh_family_id:
        refresh_tokens.revoke_family(record.refresh_family_id, "code replay")


def _get(code: str) -> Any | None:
    if not code or len(code) > 256:
        return None
    return _get_by_hash(sha256_hex(code))


def _get_by_hash(code_hash: str) -> Any | None:
    try:
        return AuthorizationCodeModel.get(code_hash, consistent_read=True)
    except AuthorizationCodeModel.DoesNotExist:
        return None
