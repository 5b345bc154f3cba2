"""Authenticator apps: RFC 6238 TOTP (cryptography's implementation).

Decisions:
* What every authenticator app expects: HMAC-SHA-1, 6 digits, 30-second steps, a 160-bit
  key (RFC 4226 §4 recommends 160 bits), shown as an `otpauth://totp/` URI (the Key Uri
  Format of Google Authenticator, which the other apps read too) and as a QR code of it.
* The key is sealed by KMS on the person's record (signing/sealing.py, context: the
  person's sub), since checking a code needs the key itself.
* Enrolment: a new key is kept as `totp_pending` (15 minutes) until one code from the app
  confirms it; only then does it replace `totp_secret`, by a write conditioned on the
  pending key being the one the code was checked against.
* A code is accepted for the current step and one step either side (RFC 6238 §5.2: clock
  drift and network delay), and only for a step later than the last accepted one: the
  step is written by a conditional update, so a code (or an earlier one) replayed, even
  by a racing request, is refused (RFC 6238 §5.2: "MUST NOT" accept a second time).
* Input that is not six ASCII digits is refused before any KMS call.
"""

from __future__ import annotations

import base64
import hmac
import secrets
from dataclasses import dataclass

from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP

from chalicelib.config import get_settings
from chalicelib.models import UserModel, conditional_write, now
from chalicelib.records import users
from chalicelib.records.users import User
from chalicelib.signing import sealing

DIGITS = 6
STEP = 30
KEY_BYTES = 20
DRIFT_STEPS = 1
PENDING_SECONDS = 900
PURPOSE = "totp"


@dataclass(frozen=True)
class Enrolment:
    uri: str  # otpauth://totp/...
    secret: str  # the key in base32, for typing it in by hand


def _totp(key: bytes) -> TOTP:
    # RFC 6238 with SHA-1 as an HMAC, which every authenticator app implements (not a bare hash)
    return TOTP(key, DIGITS, SHA1(), STEP, enforce_key_length=True)  # noqa: S303


def _enrolment(user: User, key: bytes) -> Enrolment:
    issuer_name = get_settings().service_name
    uri = _totp(key).get_provisioning_uri(user.username, issuer_name)
    return Enrolment(uri=uri, secret=base64.b32encode(key).decode("ascii").rstrip("="))


def start(user: User) -> Enrolment:
    """A new key waiting for its first code; any earlier pending key is replaced."""
    key = secrets.token_bytes(KEY_BYTES)
    sealed = sealing.seal(key, purpose=PURPOSE, owner=user.sub)
    users.update_person(
        user,
        [
            UserModel.totp_pending.set(sealed),
            UserModel.totp_pending_expires_at.set(now() + PENDING_SECONDS),
        ],
    )
    return _enrolment(user, key)


def pending(user: User) -> Enrolment | None:
    """The enrolment still waiting for its code (to show its QR code again), if any."""
    if not user.totp_pending or (user.totp_pending_expires_at or 0) <= now():
        return None
    return _enrolment(user, sealing.unseal(user.totp_pending, purpose=PURPOSE, owner=user.sub))


def confirm(user: User, code: str) -> bool:
    """The pending key becomes the person's authenticator app if `code` is right for it."""
    if not _well_formed(code) or pending(user) is None:
        return False
    key = sealing.unseal(user.totp_pending, purpose=PURPOSE, owner=user.sub)
    step = _matching_step(key, code, after=None)
    if step is None:
        return False
    actions = [
        UserModel.totp_secret.set(user.totp_pending),
        UserModel.totp_last_step.set(step),
        UserModel.totp_pending.remove(),
        UserModel.totp_pending_expires_at.remove(),
    ]
    condition = UserModel.totp_pending == user.totp_pending
    return conditional_write(user.update, actions=actions, condition=condition)


def verify(user: User, code: str) -> bool:
    """A right, unused code from the person's app; its step is spent by this call."""
    if not _well_formed(code) or not user.totp_secret:
        return False
    key = sealing.unseal(user.totp_secret, purpose=PURPOSE, owner=user.sub)
    last = int(user.totp_last_step) if user.totp_last_step is not None else None
    step = _matching_step(key, code, after=last)
    if step is None:
        return False
    unused = UserModel.totp_last_step.does_not_exist() | (UserModel.totp_last_step < step)
    condition = (UserModel.totp_secret == user.totp_secret) & unused
    return conditional_write(
        user.update, actions=[UserModel.totp_last_step.set(step)], condition=condition
    )


def remove(user: User) -> None:
    users.update_person(
        user,
        [
            UserModel.totp_secret.remove(),
            UserModel.totp_last_step.remove(),
            UserModel.totp_pending.remove(),
            UserModel.totp_pending_expires_at.remove(),
        ],
    )


def enrolled(user: User) -> bool:
    return bool(user.totp_secret)


def _well_formed(code: str) -> bool:
    return len(code) == DIGITS and code.isascii() and code.isdigit()


def _matching_step(key: bytes, code: str, after: int | None) -> int | None:
    """The step within the drift window whose code is `code`, later than `after`."""
    totp = _totp(key)
    current = now() // STEP
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if after is not None and step <= after:
            continue
        if hmac.compare_digest(totp.generate(step * STEP), code.encode("ascii")):
            return step
    return None
