"""Refresh tokens: issue, rotate, describe (RFC 6749 §6, RFC 9700 §4.14.2).

Decisions:
* A token is 256 bits, stored as SHA-256. Every token belongs to a family (one grant,
  refresh_families.py); revoking the family revokes every token of it, and the access
  tokens that carry its id (`refresh_family` claim, checked by verification.py).
* Absolute lifetime counts from the family's first token and is the TTL of every record
  of the family, so a rotated token is still recognised (and its reuse detected) until
  then. Idle lifetime counts from each token's issue.
* Rotation is one TransactWrite, and the only DynamoDB call of a refresh besides reading
  the token: the family is live (condition check), the person may still act (condition
  check on their user record, `users.may_act_condition`), the old token is unused and live
  (update: used_at, successor), the new token is new (put). Of racing rotations exactly one
  commits; a rotation racing a revocation or the person's disabling either commits before
  it (and its successor dies with the family) or fails. A person who can no longer act
  ends the family, so re-enabling them does not revive it.
* Each token keeps copies of what a rotation needs (the person's username, the family's
  granted resources), so a refresh reads only the token; a token from before they were
  kept finds its person by sub and its resources on the family, and its successor keeps
  them.
* A rotated token presented again revokes the family (and counts RefreshReuseDetected),
  unless it comes within `REFRESH_GRACE_SECONDS` of its rotation and the successor is still
  unused: then it gets that same successor. To hand it out again without storing it, the
  successor is HMAC-SHA256(old token, nonce) with a random nonce kept on the old record;
  neither the record (hashes and nonce) nor the old token alone yields it.
* Only the client a token was issued to may use, revoke or introspect it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import string
from typing import Any, NoReturn

from pynamodb.exceptions import TransactWriteError

from chalicelib import observability
from chalicelib.config import get_settings
from chalicelib.errors import InvalidGrant, TemporarilyUnavailable
from chalicelib.models import (
    ConditionalUpdate,
    RefreshFamilyModel,
    RefreshTokenModel,
    UserModel,
    now,
    transact_write,
)
from chalicelib.opaque import VALUE_LENGTH, new_value, sha256_hex
from chalicelib.records import users
from chalicelib.records.clients import Client
from chalicelib.tokens import refresh_families

OneTimeWrite = ConditionalUpdate  # the type other floors name (grants/common.mint)
OFFLINE_ACCESS = "offline_access"
TOKEN_CHARS = frozenset(string.ascii_letters + string.digits + "-_")
ROTATION_ATTEMPTS = 4
# pynamodb sends condition checks first, then puts, then updates
FAMILY_ITEM, PERSON_ITEM = 0, 1  # in a rotation
INVALID_REFRESH_TOKEN = "The refresh token is invalid, expired or revoked"


def should_issue(client: Client, granted_scopes: frozenset[str], has_person: bool = True) -> bool:
    """Refresh tokens go to clients registered for them, and only where a person granted
    offline_access; machine flows (client_credentials, RFC 6749 §4.4.3) never get one."""
    return has_person and client.allows_grant("refresh_token") and OFFLINE_ACCESS in granted_scopes


def issue(
    client: Client,
    sub: str,
    scope: str,
    auth_time: int | None,
    family_id: str,
    resources: tuple[str, ...] = (),
    *,
    username: str | None = None,
    amr: tuple[str, ...] = (),
    along: ConditionalUpdate | None = None,
) -> str | None:
    """Start the family `family_id` (from refresh_families.new_family_id()) for the granted
    `resources` and return its first refresh token. `along` is the grant's one-time write
    (a code redeemed, a device code claimed), written in the same transaction: None when
    its condition failed (or it conflicted), and then nothing was written."""
    at = now()
    expires_at = at + get_settings().refresh_absolute_lifetime
    family = RefreshFamilyModel(
        family_id=family_id,
        client_id=client.client_id,
        sub=sub,
        created_at=at,
        expires_at=expires_at,
        resources=list(resources),
    )
    token = new_value()
    record = _record(
        token,
        family_id=family.family_id,
        client_id=client.client_id,
        sub=sub,
        scope=scope,
        auth_time=auth_time,
        at=at,
        expires_at=expires_at,
        username=username,
        resources=list(resources),
        amr=list(amr),
    )
    try:
        with transact_write() as tx:
            tx.save(family, condition=RefreshFamilyModel.family_id.does_not_exist())
            tx.save(record, condition=RefreshTokenModel.token_hash.does_not_exist())
            if along is not None:
                tx.update(along.item, actions=along.actions, condition=along.condition)
    except TransactWriteError as exc:
        if along is not None and _cancelled(exc, 2):  # the update comes after the two puts
            return None
        raise
    return token


def find(token: str) -> RefreshTokenModel | None:
    """The record of a presented value, if it has our shape and exists (consistent read)."""
    if len(token) != VALUE_LENGTH or not set(token) <= TOKEN_CHARS:
        return None
    return _get(sha256_hex(token))


def load(token: str, client: Client) -> RefreshTokenModel:
    """The live record of `token` for `client`; a reused rotated token revokes its family."""
    record = find(token)
    at = now()
    if record is None or record.client_id != client.client_id:
        raise InvalidGrant(
            INVALID_REFRESH_TOKEN, detail="unknown or another client's refresh token"
        )
    if not record.is_live(at):  # a revoked family fails the rotation's condition check
        raise InvalidGrant(INVALID_REFRESH_TOKEN, detail="expired refresh token")
    if record.used_at is not None and not _in_grace(record, at):
        _reuse_detected(record.family_id)
        raise InvalidGrant(
            INVALID_REFRESH_TOKEN, detail="rotated refresh token reused; family revoked"
        )
    if record.used_at is None and record.idle_expires_at <= at:
        raise InvalidGrant(INVALID_REFRESH_TOKEN, detail="idle expiry")
    return record


def granted_resources(record: RefreshTokenModel) -> tuple[str, ...]:
    """The resources the token's grant was for (RFC 8707 §2.2): the token's copy, or (a
    token from before it kept one) the family's, kept on the record for its successor."""
    if record.resources is None:
        record.resources = list(refresh_families.granted_resources(record.family_id))
    return tuple(record.resources)


def rotate(record: RefreshTokenModel, token: str) -> str:
    """Exchange a record from `load` for its successor (the same one inside the grace window)."""
    username = _person(record)
    for _ in range(ROTATION_ATTEMPTS):
        if record.used_at is not None:
            if users.active(username, sub=record.sub) is None:
                _person_gone(record.family_id)
            return _grace_successor(record, token)
        try:
            return _rotate_once(record, token, username)
        except TransactWriteError as exc:
            failed = _failed_item(exc)
            if failed == FAMILY_ITEM:
                raise InvalidGrant(
                    INVALID_REFRESH_TOKEN, detail="family revoked during rotation"
                ) from exc
            if failed == PERSON_ITEM:
                _person_gone(record.family_id)
        # Lost a race (or a transaction conflict): decide again on what is stored now.
        fresh = _get(record.token_hash)
        if fresh is None:
            raise InvalidGrant(INVALID_REFRESH_TOKEN, detail="refresh token vanished")
        if fresh.used_at is not None and not _in_grace(fresh, now()):
            _reuse_detected(fresh.family_id)
            raise InvalidGrant(INVALID_REFRESH_TOKEN, detail="concurrent reuse; family revoked")
        record = fresh
    raise TemporarilyUnavailable(detail="refresh rotation kept conflicting")


def _person(record: RefreshTokenModel) -> str:
    """The username whose record the rotation checks; a token from before tokens kept it
    finds its person by sub (a Query), and one without an active person ends here."""
    if record.username:
        return record.username
    user = users.active_by_sub(record.sub)
    if user is None:
        _person_gone(record.family_id)
    return user.username


def _person_gone(family_id: str) -> NoReturn:
    """The person can no longer act: end the family, so re-enabling them does not revive it."""
    refresh_families.revoke(family_id, "user disabled")
    raise InvalidGrant(INVALID_REFRESH_TOKEN, detail="user missing or disabled")


def _rotate_once(record: RefreshTokenModel, token: str, username: str) -> str:
    at = now()
    nonce = secrets.token_urlsafe(32)
    successor = _derive(token, nonce)
    new = _record(
        successor,
        family_id=record.family_id,
        client_id=record.client_id,
        sub=record.sub,
        scope=record.scope,
        auth_time=record.auth_time,
        at=at,
        expires_at=record.expires_at,
        username=username,
        resources=list(granted_resources(record)),
        amr=list(record.amr) if record.amr is not None else None,
    )
    old = RefreshTokenModel(token_hash=record.token_hash)
    with transact_write() as tx:
        tx.condition_check(
            RefreshFamilyModel, record.family_id, condition=refresh_families.live_condition(at)
        )
        tx.condition_check(UserModel, username, condition=users.may_act_condition(record.sub))
        tx.save(new, condition=RefreshTokenModel.token_hash.does_not_exist())
        tx.update(
            old,
            actions=[
                RefreshTokenModel.used_at.set(at),
                RefreshTokenModel.successor_hash.set(new.token_hash),
                RefreshTokenModel.successor_nonce.set(nonce),
            ],
            condition=RefreshTokenModel.used_at.does_not_exist()
            & (RefreshTokenModel.expires_at > at)
            & (RefreshTokenModel.idle_expires_at > at),
        )
    return successor


def _grace_successor(record: RefreshTokenModel, token: str) -> str:
    successor = _derive(token, record.successor_nonce or "")
    following = _get(sha256_hex(successor))
    at = now()
    if following is None or following.token_hash != record.successor_hash:
        raise InvalidGrant(INVALID_REFRESH_TOKEN, detail="successor missing")
    if following.used_at is not None or not refresh_families.is_live(record.family_id, at):
        _reuse_detected(record.family_id)
        raise InvalidGrant(INVALID_REFRESH_TOKEN, detail="successor already used; family revoked")
    return successor


def _reuse_detected(family_id: str) -> None:
    """RFC 9700 §4.14.2: a rotated token came back, so someone holds a copy: end the grant."""
    if refresh_families.revoke(family_id, "reuse"):  # a family already ended counts once
        observability.count(observability.REFRESH_REUSE_DETECTED)


def describe(token: str, client: Client) -> dict[str, Any] | None:
    """RFC 7662 §2.2 members for an active refresh token of `client`, else None."""
    record = find(token)
    at = now()
    if record is None or record.client_id != client.client_id or record.used_at is not None:
        return None
    if (
        record.idle_expires_at <= at
        or not record.is_live(at)
        or not refresh_families.is_live(record.family_id)
    ):
        return None
    return {
        "scope": record.scope,
        "client_id": record.client_id,
        "sub": record.sub,
        "iss": get_settings().issuer,
        "exp": int(min(record.expires_at, record.idle_expires_at)),
        "iat": int(record.created_at),
        "token_type": "refresh_token",
    }


def _record(token: str, *, at: int, expires_at: int, **fields: Any) -> RefreshTokenModel:
    idle_expires_at = min(at + get_settings().refresh_idle_lifetime, expires_at)
    return RefreshTokenModel(
        token_hash=sha256_hex(token),
        created_at=at,
        expires_at=expires_at,
        idle_expires_at=idle_expires_at,
        **fields,
    )


def _get(token_hash: str) -> RefreshTokenModel | None:
    try:
        return RefreshTokenModel.get(token_hash, consistent_read=True)
    except RefreshTokenModel.DoesNotExist:
        return None


def _derive(token: str, nonce: str) -> str:
    digest = hmac.new(token.encode(), nonce.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _in_grace(record: RefreshTokenModel, at: int) -> bool:
    grace = get_settings().refresh_grace_seconds
    return record.used_at is not None and at < record.used_at + grace


def _failed_item(exc: TransactWriteError) -> int | None:
    """Which transaction item failed its condition (None: a conflict); re-raises AWS faults."""
    if exc.cause_response_code != "TransactionCanceledException":
        raise exc
    for index, reason in enumerate(exc.cancellation_reasons):
        if reason is not None and reason.code == "ConditionalCheckFailed":
            return index
    return None


def _cancelled(exc: TransactWriteError, index: int) -> bool:
    """Whether the transaction was cancelled for item `index`: its condition failed, or a
    concurrent write to it conflicted (the caller then rereads that item)."""
    if exc.cause_response_code != "TransactionCanceledException":
        return False
    reasons = exc.cancellation_reasons
    reason = reasons[index] if index < len(reasons) else None
    return reason is not None and reason.code in ("ConditionalCheckFailed", "TransactionConflict")
