"""Opaque values: client secrets, codes, refresh tokens, session ids, device codes.

RFC 6749 §10.10 (credential guessing), RFC 8628 §5.2 (device code entropy), RFC 9700 §4.14
(refresh tokens). Decisions: every value carries 256 bits from `secrets`, URL-safe; at rest
only its SHA-256 (hex) is stored, so a read of a table yields nothing a client could present.
"""

from __future__ import annotations

import hashlib
import secrets


def new_value() -> str:
    """256 bits of randomness, URL-safe base64 (43 characters)."""
    return secrets.token_urlsafe(32)


def sha256_hex(value: str) -> str:
    """How a value is stored and looked up."""
    return hashlib.sha256(value.encode()).hexdigest()


VALUE_LENGTH = len(new_value())
