"""Browsers a person has signed in from: the records behind OWASP's device cookies.

OWASP "Slow Down Online Guessing Attacks with Device Cookies"; RFC 9700 §4.16; NIST SP
800-63B §5.2.2 (limit guessing without locking out the subscriber). Decisions:
* A browser's device cookie (pages/cookies.py) holds a random 256-bit nonce. A successful
  sign-in trusts the pair (username, nonce): the counters table gets an item keyed by
  SHA-256 of (SHA-256 of the username, nonce), live for `DEVICE_COOKIE_LIFETIME` and
  renewed by each sign-in. So the binding cannot be forged (the nonce is unguessable and
  never stored), a cookie trusted for alice is untrusted for bob, one browser can be trusted
  for several usernames, and the table holds neither usernames nor cookie values.
* Stored rather than signed with a server key: Gatehouse has no MAC key outside KMS, and
  its KMS signing keys rotate long before a device cookie expires.
"""

from __future__ import annotations

from chalicelib.config import get_settings
from chalicelib.models import CounterModel, now
from chalicelib.opaque import VALUE_LENGTH, sha256_hex

TRUSTED = "device-trust"


def binding(username: str, nonce: str) -> str:
    """The (username, nonce) pair as stored and counted: neither can be read back from it."""
    return sha256_hex(f"{sha256_hex(username)}:{nonce}")


def trust(username: str, nonce: str) -> None:
    """Remember that `username` signed in from the browser holding `nonce`."""
    expires_at = now() + get_settings().device_cookie_lifetime
    CounterModel(key=_key(username, nonce), count=0, expires_at=expires_at).save()


def trusted_binding(username: str, nonce: str) -> str | None:
    """The binding when this browser is trusted for `username`, else None."""
    if len(nonce) != VALUE_LENGTH:
        return None
    try:
        record = CounterModel.get(_key(username, nonce), consistent_read=True)
    except CounterModel.DoesNotExist:
        return None
    return binding(username, nonce) if record.is_live() else None


def _key(username: str, nonce: str) -> str:
    return f"{TRUSTED}#{binding(username, nonce)}"
