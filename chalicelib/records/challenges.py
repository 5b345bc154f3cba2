"""Sign-ins in progress: one-time records keyed by SHA-256 of a random value.

* `SECOND_FACTOR`: the password was right and a second factor must follow before any
  session exists. The value lives in the browser's sign-in cookie (pages/cookies.py); the
  record holds who, what they proved so far (`amr`), where to go next and the WebAuthn
  challenge of the passkey button. It lives `SIGN_IN_STEP_SECONDS` (5 minutes).
* `PASSKEY_SIGN_IN` / `PASSKEY_REGISTER`: a WebAuthn challenge (WebAuthn §13.4.3: random,
  at least 16 bytes, used once). The value is the challenge itself, found again from the
  clientDataJSON the browser returns; a registration's record names the person it is for.
Every record is consumed by a conditional delete (it must still exist and be live), so
two requests racing with one value get it once.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from chalicelib.config import get_settings
from chalicelib.models import ChallengeModel, conditional_write, now
from chalicelib.opaque import new_value, sha256_hex

SECOND_FACTOR = "second-factor"
PASSKEY_SIGN_IN = "passkey-sign-in"
PASSKEY_REGISTER = "passkey-register"
MAX_VALUE = 256


@dataclass(frozen=True)
class Challenge:
    value: str
    purpose: str
    username: str | None
    sub: str | None
    amr: tuple[str, ...]
    return_to: str | None
    webauthn_challenge: str | None


def new_webauthn_challenge() -> str:
    """32 random bytes, base64url without padding, as WebAuthn's clientDataJSON spells it."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode("ascii")


def create(
    purpose: str,
    *,
    value: str | None = None,
    username: str | None = None,
    sub: str | None = None,
    amr: Iterable[str] = (),
    return_to: str | None = None,
    webauthn_challenge: str | None = None,
) -> Challenge:
    """A new record; `value` (a WebAuthn challenge) or a new random one is its key."""
    value = value or new_value()
    record = ChallengeModel(
        challenge_hash=sha256_hex(value),
        purpose=purpose,
        username=username,
        sub=sub,
        amr=list(amr),
        return_to=return_to,
        webauthn_challenge=webauthn_challenge,
        expires_at=now() + get_settings().sign_in_step_seconds,
    )
    record.save()
    return _from_record(value, record)


def find(value: str | None, purpose: str) -> Challenge | None:
    """The live record for `value` and `purpose`, without consuming it."""
    if not value or len(value) > MAX_VALUE:
        return None
    try:
        record = ChallengeModel.get(sha256_hex(value), consistent_read=True)
    except ChallengeModel.DoesNotExist:
        return None
    if record.purpose != purpose or not record.is_live():
        return None
    return _from_record(value, record)


def consume(value: str | None, purpose: str) -> Challenge | None:
    """The record, deleted so that no one else gets it; None if gone, spent or expired."""
    found = find(value, purpose)
    return found if found is not None and spend(found) else None


def spend(found: Challenge) -> bool:
    """Delete a record read by `find`, if no one else did first and it is still live."""
    record = ChallengeModel(challenge_hash=sha256_hex(found.value))
    condition = ChallengeModel.challenge_hash.exists() & (ChallengeModel.expires_at > now())
    return conditional_write(record.delete, condition=condition)


def discard(value: str | None) -> None:
    if value and len(value) <= MAX_VALUE:
        ChallengeModel(challenge_hash=sha256_hex(value)).delete()


def _from_record(value: str, record: ChallengeModel) -> Challenge:
    return Challenge(
        value=value,
        purpose=record.purpose,
        username=record.username,
        sub=record.sub,
        amr=tuple(record.amr or ()),
        return_to=record.return_to,
        webauthn_challenge=record.webauthn_challenge,
    )
