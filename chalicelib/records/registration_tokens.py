"""Initial access tokens for dynamic registration (RFC 7591 §3, `REGISTRATION=token`).

`admin registration-token create [--expires-in SECONDS]` prints one; POST /register then
needs it as a Bearer token (RFC 6750 §2.1). Decisions: 256 bits, stored as SHA-256 only;
usable for as many registrations as the operator lets it live (default a day), so one
token can onboard a fleet; `admin registration-token revoke` ends it early.
"""

from __future__ import annotations

from chalicelib.models import RegistrationTokenModel, now
from chalicelib.opaque import new_value, sha256_hex

DEFAULT_LIFETIME = 86400


def create_token(expires_in: int = DEFAULT_LIFETIME) -> tuple[str, int]:
    """A new initial access token and the instant it expires."""
    if expires_in <= 0:
        raise ValueError("--expires-in must be a positive number of seconds")
    token = new_value()
    expires_at = now() + expires_in
    RegistrationTokenModel(token_hash=sha256_hex(token), expires_at=expires_at).save()
    return token, expires_at


def is_valid(token: str) -> bool:
    try:
        record = RegistrationTokenModel.get(sha256_hex(token), consistent_read=True)
    except RegistrationTokenModel.DoesNotExist:
        return False
    return record.is_live()


def revoke_token(token: str) -> None:
    RegistrationTokenModel(token_hash=sha256_hex(token)).delete()
