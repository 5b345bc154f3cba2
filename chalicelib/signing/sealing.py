"""Small secrets the server must read back (an authenticator app's TOTP key), sealed by KMS.

A TOTP key cannot be stored as a hash: checking a code needs the key itself. It is
encrypted with KMS Encrypt under the stage's symmetric envelope key (the one that wraps
signing keys, signing/envelope.py; every stage has it, infra/ creates it) and decrypted
per check. Decisions: the encryption context names the purpose and the owner, so a
ciphertext copied to another person's record does not decrypt (KMS checks the context);
the plaintext is never logged or cached.
"""

from __future__ import annotations

import base64

from chalicelib.signing import envelope, kms


def _context(purpose: str, owner: str) -> dict[str, str]:
    return {"purpose": f"gatehouse-{purpose}", "owner": owner}


def seal(secret: bytes, *, purpose: str, owner: str) -> str:
    """The secret encrypted by KMS, as base64 text for a record."""
    ciphertext, _ = kms.encrypt(envelope.wrap_alias(), secret, _context(purpose, owner))
    return base64.b64encode(ciphertext).decode("ascii")


def unseal(sealed: str, *, purpose: str, owner: str) -> bytes:
    """The secret `seal` sealed for the same purpose and owner (KMS refuses any other)."""
    return kms.decrypt(base64.b64decode(sealed), _context(purpose, owner))
