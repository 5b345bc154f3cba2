"""Envelope signing keys: `SIGNING_MODE=envelope` (DESIGN.md, Keys and tokens).

For throughput past KMS's Sign quotas. A key pair is generated here, its private half
(PKCS#8 DER) encrypted by KMS Encrypt under the stage's symmetric key
(`<KEY_ALIAS_PREFIX>-envelope`) and stored only as that ciphertext in the SigningKey record.
Each Lambda container decrypts a key once (one KMS Decrypt) and then signs locally, so a
warm token request makes no AWS call at all.
Decisions:
* The encryption context names the purpose and the kid, so a ciphertext moved to another
  record does not decrypt (KMS checks it; the plaintext never touches disk or logs).
* The decrypted key lives in this container's memory only, keyed by kid; KMS mode keys
  are unaffected, and which mode signs is decided per key record, so switching modes is an
  ordinary rotation.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from functools import lru_cache

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.hazmat.primitives.serialization import load_der_private_key

from chalicelib.config import get_settings
from chalicelib.errors import ServerError
from chalicelib.signing import kms

PURPOSE = "gatehouse-signing-key"


def wrap_alias() -> str:
    return f"{get_settings().key_alias_prefix}-envelope"


def _context(kid: str) -> dict[str, str]:
    return {"purpose": PURPOSE, "kid": kid}


def _generate(alg: str) -> rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey:
    if alg == "RS256":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP256R1())


def create(alg: str) -> tuple[dict[str, str], str, str]:
    """A new key pair for `alg`: (public JWK, wrapped private key, wrapping key ARN)."""
    if alg not in kms.ALGORITHMS:
        raise ServerError("Unsupported algorithm", detail=f"unsupported algorithm {alg}")
    private = _generate(alg)
    public_der = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    jwk = kms.public_jwk_from_der(public_der, alg)
    pkcs8 = private.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    ciphertext, wrap_arn = kms.encrypt(wrap_alias(), pkcs8, _context(jwk["kid"]))
    return jwk, base64.b64encode(ciphertext).decode(), wrap_arn


@lru_cache(maxsize=16)
def _private_key(kid: str, wrapped: str) -> PrivateKeyTypes:
    """Decrypt once per container (a failed Decrypt is not cached: the next call retries)."""
    plaintext = kms.decrypt(base64.b64decode(wrapped), _context(kid))
    return load_der_private_key(plaintext, password=None)


def sign(kid: str, alg: str, wrapped: str, message: bytes) -> bytes:
    """A JOSE signature of `message` by the envelope key `kid`."""
    return _signer(kid, alg, wrapped)(message)


@lru_cache(maxsize=16)
def _signer(kid: str, alg: str, wrapped: str) -> Callable[[bytes], bytes]:
    """The key's signing function, decided once per container (a mismatch is not cached)."""
    private = _private_key(kid, wrapped)
    if isinstance(private, rsa.RSAPrivateKey) and alg == "RS256":
        pkcs1, sha256 = padding.PKCS1v15(), hashes.SHA256()
        return lambda message: private.sign(message, pkcs1, sha256)
    if isinstance(private, ec.EllipticCurvePrivateKey) and alg == "ES256":
        ecdsa = ec.ECDSA(hashes.SHA256())
        return lambda message: kms.jose_ecdsa(private.sign(message, ecdsa))
    raise ServerError("Signing key does not match its algorithm", detail=f"{kid} {alg}")


def reset_cache() -> None:
    _signer.cache_clear()
    _private_key.cache_clear()


def ensure_wrap_key() -> str:
    """Create the stage's symmetric wrapping key and alias unless they exist (provisioning)."""
    description = f"Gatehouse {get_settings().stage} envelope key for signing keys"
    return kms.ensure_symmetric_key(wrap_alias(), description)
