"""Authorization codes: issue, find, check possession and liveness, redeem once.

RFC 6749 §4.1.2 and §10.5, RFC 7636 §4.6, OIDC Core §3.1.3.2, RFC 9700 §4.5.
Decisions:
* 256 random bits, stored as SHA-256 with everything the token request needs; lifetime
  `CODE_LIFETIME` (60 s) checked at every read (DynamoDB TTL deletes late).
* Redemption is one conditional write (not yet redeemed, not expired) that also records the
  jti and expiry of the tokens minted for it and their refresh family, so a replay always
  finds what to revoke (the grant revokes it: grants/authorization_code.py). It is written
  in the same transaction that creates that refresh family (`redemption`, handed to
  grants/common.mint), so a code is used exactly when its family exists: a lost race
  leaves nothing behind. The access token of a hybrid `code token` response is recorded
  when the code is issued, for the same.
* The code keeps the person's username, so the token request reads the user by key
  (users.active_by_sub); a code from before it was kept is read by sub.
* A code presented by another client is refused without being consumed.
* `check_possession` (redirect_uri, PKCE verifier) runs before the replay check, so only a
  presenter who could have redeemed the code can make a replay revoke its tokens.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib import pkce
from chalicelib.config import get_settings
from chalicelib.errors import InvalidGrant
from chalicelib.models import AuthorizationCodeModel, ConditionalUpdate, now
from chalicelib.opaque import new_value, sha256_hex
from chalicelib.records.clients import Client

AuthorizationCode = AuthorizationCodeModel  # the type other floors name
INVALID_CODE = "The authorization code is invalid, expired or already used"
MAX_CODE_CHARS = 256


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
    resources: tuple[str, ...] = ()  # RFC 8707: the token request chooses within these
    front_channel_jti: str | None = None  # the access token of `code token`, and its exp
    front_channel_exp: int | None = None
    username: str | None = None  # the person's record key
    amr: tuple[str, ...] = ()  # how the person signed in (records/assurance.py)


def issue(grant: CodeGrant) -> str:
    code = new_value()
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
        resources=list(grant.resources),
        front_channel_jti=grant.front_channel_jti,
        front_channel_exp=grant.front_channel_exp,
        username=grant.username,
        amr=list(grant.amr),
        expires_at=now() + get_settings().code_lifetime,
    ).save()
    return code


def issued_access_tokens(record: AuthorizationCodeModel) -> list[tuple[str, int]]:
    """(jti, exp) of every access token issued on this code: the hybrid response's own
    (OIDC Core §3.3.2.5) and the token endpoint's."""
    issued = [(jti, int(record.issued_exp or now())) for jti in record.issued_jtis or ()]
    if record.front_channel_jti:
        issued.append((record.front_channel_jti, int(record.front_channel_exp or now())))
    return issued


def find(code: str, client: Client) -> AuthorizationCodeModel:
    """This client's code record, redeemed or not; InvalidGrant if there is none."""
    record = _get(code)
    if record is None or record.client_id != client.client_id:
        raise InvalidGrant(INVALID_CODE, detail="unknown code or other client")
    return record


def check_possession(
    record: AuthorizationCodeModel, redirect_uri: str | None, verifier: str | None
) -> None:
    """The code presented with its redirect_uri and PKCE verifier, redeemed or not: what a
    replay must prove too before it may revoke anything (RFC 9700 §4.5)."""
    if (redirect_uri is not None or record.redirect_uri_given) and (
        redirect_uri != record.redirect_uri
    ):
        raise InvalidGrant("redirect_uri does not match the authorization request")
    pkce.verify(verifier, record.code_challenge, record.code_challenge_method)


def check_live(record: AuthorizationCodeModel) -> None:
    if not record.is_live():
        raise InvalidGrant(INVALID_CODE, detail="code expired")


def redemption(
    record: AuthorizationCodeModel, jtis: list[str], exp: int, refresh_family_id: str | None
) -> ConditionalUpdate:
    """The one-time write that marks the code used and records what was issued from it;
    its condition fails if another request redeemed it first (or it expired meanwhile)."""
    at = now()
    model = AuthorizationCodeModel
    actions = [model.redeemed_at.set(at), model.issued_jtis.set(jtis), model.issued_exp.set(exp)]
    if refresh_family_id:
        actions.append(model.refresh_family_id.set(refresh_family_id))
    condition = model.redeemed_at.does_not_exist() & (model.expires_at > at)
    return ConditionalUpdate(AuthorizationCodeModel(code_hash=record.code_hash), actions, condition)


def reread(record: AuthorizationCodeModel) -> AuthorizationCodeModel | None:
    """The record as stored now (consistent read)."""
    return _get_by_hash(record.code_hash)


def _get(code: str) -> AuthorizationCodeModel | None:
    if not code or len(code) > MAX_CODE_CHARS:
        return None
    return _get_by_hash(sha256_hex(code))


def _get_by_hash(code_hash: str) -> AuthorizationCodeModel | None:
    try:
        return AuthorizationCodeModel.get(code_hash, consistent_read=True)
    except AuthorizationCodeModel.DoesNotExist:
        return None
