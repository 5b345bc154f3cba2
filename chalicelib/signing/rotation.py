"""Signing-key lifecycle, for the admin CLI and the emulator: create, alias, rotate.

RFC 7517 §5 key sets. Rotation: the staged `next` key (already published in the JWKS)
becomes `active`, the old active one becomes `retired` (published for
`KEY_RETIRE_SECONDS` more), and a new `next` is staged. The stage's alias always points at
the active KMS key, which is what infra/ creates and keys.py falls back to. New keys are
made in the stage's `SIGNING_MODE`: an asymmetric KMS key (`kms`) or a wrapped key pair
(`envelope`, see envelope.py); either way the record says how it signs.
"""

from __future__ import annotations

from chalicelib.config import get_settings
from chalicelib.signing import envelope, kms
from chalicelib.signing.keys import (
    ACTIVE,
    NEXT,
    RETIRED,
    SigningKey,
    alias_name,
    current_key,
    register,
    reset_cache,
    save_key,
    set_state,
)


def _new_key(alg: str, state: str) -> SigningKey:
    if get_settings().signing_mode == "envelope":
        jwk, wrapped, wrap_arn = envelope.create(alg)
        return save_key(jwk, alg, state, wrap_arn, wrapped)
    description = f"Gatehouse {get_settings().stage} {alg} signing key"
    return register(kms.create_signing_key(alg, description), alg, state)


def ensure_active(alg: str) -> SigningKey:
    """Create and register an active key for `alg` unless one exists (provisioning)."""
    reset_cache()
    existing = current_key(alg)
    if existing is not None:
        return existing
    if get_settings().signing_mode == "envelope":
        envelope.ensure_wrap_key()
    key = _new_key(alg, ACTIVE)
    if not key.encrypted_private_key:
        kms.point_alias(alias_name(alg), key.kms_key_id)
    reset_cache()
    return key


def rotate(alg: str) -> dict[str, str | None]:
    """Promote the staged key (if any), retire the old active one, stage a new next key."""
    reset_cache()
    active, promoted = current_key(alg, ACTIVE), current_key(alg, NEXT)
    if promoted:
        if active:
            set_state(active.kid, RETIRED)
        set_state(promoted.kid, ACTIVE)
        if not promoted.encrypted_private_key:
            kms.point_alias(alias_name(alg), promoted.kms_key_id)
    staged = _new_key(alg, NEXT)
    reset_cache()
    return {"alg": alg, "activated": promoted.kid if promoted else None, "staged": staged.kid}
