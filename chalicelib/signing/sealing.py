"""Small secrets the server must read back (an authenticator app's TOTP key), sealed by KMS.

A TOTP key cannot be stored as a hash: checking a code needs the key itself. It is
encrypted with KMS Encrypt under the stage's symmetric envelope key (the one that wraps
signing keys, signing/envelope.py; every stage has it, infra/ creates it) and decrypted
per check. Decisions:
* The encryption context names the purpose and the owner, so a ciphertext copied to
  another person's record does not decrypt (KMS checks the context).
* The key's ARN is kept beside the ciphertext and named when decrypting (AWS's best
  practice; it also lets IAM, and the deploy rehearsal, see which key a Decrypt uses).
* The plaintext is never logged or cached.
"""

from __future__ import annotations

import base64

from chalicelib.signing import envelope, kms

SEPARATOR = "|"


def _context(purpose: str, owner: str) -> dict[str, str]:
    return {"purpose": f"gatehouse-{purpose}", "owner": owner}


def seal(secret: bytes, *, purpose: str, owner: str) -> str:
    """The secret encrypted by KMS, as text for a record: base64, `|`, the key's ARN."""
    ciphertext, key_arn = kms.encrypt(envelope.wrap_alias(), secret, _context(purpose, owner))
    return f"{base64.b64encode(ciphertext).decode('ascii')}{SEPARATOR}{key_arn}"


def unseal(sealed: str, *, purpose: str, owner: str) -> bytes:
    """The secret `seal` sealed for the same purpose and owner (KMS refuses any other)."""
    ciphertext, _, key_arn = sealed.partition(SEPARATOR)
    return kms.decrypt(base64.b64decode(ciphertext), _context(purpose, owner), key_id=key_arn)
