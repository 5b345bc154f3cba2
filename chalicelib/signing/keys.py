"""The key set: signing-key records, cached per container, and the JWKS they publish.

RFC 7517 §5 (JWK Set), RFC 7638 (kid = thumbprint). Decisions:
* The set lives in the SigningKey table: one Scan, cached per container for
  `KEYS_CACHE_SECONDS`. A kid this container has not seen reloads the set once (at most
  every 5 s), so a key staged by another container verifies here without waiting.
* A record says how its key signs: with `encrypted_private_key` locally (envelope mode),
  otherwise by KMS Sign with `kms_key_id`.
* If a table has no active key for an algorithm, the KMS key behind the stage's alias
  (`<KEY_ALIAS_PREFIX>-rs256|es256`, as infra/ creates it) is registered on first use, so a
  fresh deployment needs no manual step (kms mode only).
* `next` keys and `retired` keys younger than `KEY_RETIRE_SECONDS` are published, so
  verifiers hold a key before it signs and after it stops; `deleted` keys are neither
  published nor counted (rotation.py decides when, transitions.py moves the states).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from chalicelib.config import get_settings
from chalicelib.errors import ServerError
from chalicelib.models import SigningKeyModel, conditional_write, now
from chalicelib.signing import kms

ALGORITHMS = tuple(sorted(kms.ALGORITHMS))
ACTIVE, NEXT, RETIRED, DELETED = "active", "next", "retired", "deleted"
RELOAD_AFTER_SECONDS = 5
# http.public_json's Cache-Control max-age on /jwks.json (tests/signing hold the two equal).
JWKS_MAX_AGE = 300


@dataclass(frozen=True)
class SigningKey:
    kid: str
    alg: str
    kms_key_id: str
    state: str
    public_jwk: dict[str, str]
    created_at: int = 0
    activated_at: int | None = None
    retired_at: int | None = None
    encrypted_private_key: str | None = None


_cache: dict[str, Any] = {"keys": None, "loaded_at": 0.0}


def reset_cache() -> None:
    _cache["keys"] = None
    _cache["loaded_at"] = 0.0


def _from_record(record: SigningKeyModel) -> SigningKey:
    return SigningKey(
        kid=record.kid,
        alg=record.alg,
        kms_key_id=record.kms_key_id,
        state=record.state,
        public_jwk=json.loads(record.public_jwk),
        created_at=record.created_at,
        activated_at=record.activated_at,
        retired_at=record.retired_at,
        encrypted_private_key=record.encrypted_private_key,
    )


def signing_keys() -> list[SigningKey]:
    """Every registered key, cached per container."""
    age = time.monotonic() - _cache["loaded_at"]
    if _cache["keys"] is None or age > get_settings().keys_cache_seconds:
        reload(consistent=False)
    return _cache["keys"]


def reload(consistent: bool = True) -> list[SigningKey]:
    """Read the set again (consistently for rotation, which decides on what it reads)."""
    _cache["keys"] = [_from_record(r) for r in SigningKeyModel.scan(consistent_read=consistent)]
    _cache["loaded_at"] = time.monotonic()
    return _cache["keys"]


def current_key(alg: str, state: str = ACTIVE) -> SigningKey | None:
    """The cached set's key of `alg` in `state` (at most one is active, one next)."""
    return next((k for k in signing_keys() if k.alg == alg and k.state == state), None)


def active_key(alg: str) -> SigningKey:
    key = current_key(alg)
    if key is not None:
        return key
    if get_settings().signing_mode == "envelope":
        raise ServerError("No signing key", detail=f"no active {alg} key: run `keys init`")
    key = register_alias_key(alg)
    reset_cache()
    return key


def find_key(kid: str) -> SigningKey | None:
    """A published key by kid; reloads the set once if the kid is new to this container."""
    for attempt in range(2):
        for key in signing_keys():
            if key.kid == kid and is_published(key):
                return key
        if attempt == 0 and time.monotonic() - _cache["loaded_at"] > RELOAD_AFTER_SECONDS:
            reset_cache()
    return None


def is_published(key: SigningKey) -> bool:
    if key.state in (NEXT, ACTIVE):
        return True
    return key.state == RETIRED and not retire_window_over(key, now())


def retire_window_over(key: SigningKey, at: int) -> bool:
    """Every token the retired key signed has expired (and verifiers had KEY_RETIRE_SECONDS)."""
    return key.retired_at is not None and key.retired_at + get_settings().key_retire_seconds <= at


def jwks() -> dict[str, list[dict[str, str]]]:
    return {"keys": [key.public_jwk for key in signing_keys() if is_published(key)]}


def alias_name(alg: str) -> str:
    return f"{get_settings().key_alias_prefix}-{alg.lower()}"


def register(kms_key_id: str, alg: str, state: str) -> SigningKey:
    """Record a KMS key (its public half and thumbprint) in the key set."""
    return save_key(kms.public_jwk(kms_key_id, alg), alg, state, kms_key_id)


def save_key(
    jwk: dict[str, str],
    alg: str,
    state: str,
    kms_key_id: str,
    encrypted_private_key: str | None = None,
) -> SigningKey:
    """Add a key to the set; `kms_key_id` is the signing key (kms) or the wrapping key."""
    record = _record(jwk, alg, state, kms_key_id, encrypted_private_key)
    record.save(condition=SigningKeyModel.kid.does_not_exist())
    return _from_record(record)


def _record(
    jwk: dict[str, str], alg: str, state: str, kms_key_id: str, wrapped: str | None
) -> SigningKeyModel:
    return SigningKeyModel(
        kid=jwk["kid"],
        alg=alg,
        kms_key_id=kms_key_id,
        state=state,
        public_jwk=json.dumps(jwk),
        activated_at=now() if state == ACTIVE else None,
        encrypted_private_key=wrapped,
    )


def register_alias_key(alg: str, arn: str | None = None) -> SigningKey:
    """Register, as active, the KMS key behind the stage's alias (or `arn`, its target)."""
    arn = arn or kms.key_arn(alias_name(alg))
    record = _record(kms.public_jwk(arn, alg), alg, ACTIVE, arn, None)
    # Another container registering the same key first is fine; an AWS fault is a 503.
    if conditional_write(record.save, condition=SigningKeyModel.kid.does_not_exist()):
        return _from_record(record)
    reset_cache()
    return current_key(alg) or _from_record(record)  # the same kid, registered by another
