"""Signing-key lifecycle, for the admin CLI and the emulator: create, alias, rotate.

RFC 7517 §5 key sets. Rotation: the staged `next` key (already published in the JWKS)
becomes `active`, the old active one becomes `retired` (published for
`KEY_RETIRE_SECONDS` more), and a new `next` is staged. The stage's alias always points at
the active key, which is what infra/ creates and keys.py falls back to. New keys are made
in the stage's `SIGNING_MODE`: an asymmetric KMS key (`kms`) or a wrapped key pair
(`envelope`, see envelope.py); either way the record says how it signs.
"""

from __future__ import annotations

from chalicelib.config import get_settings
from chalicelib.keys import (
    ALGORITHMS,
    SigningKey,
    alias_name,
    kms_client,
    register,
    reset_cache,
    save_key,
    signing_keys,
)


def create_kms_key(alg: str) -> str:
    """A new asymmetric KMS key for `alg`; returns its ARN (admin and emulator only)."""
    spec = ALGORITHMS[alg][0]
    metadata = kms_client().create_key(
        KeyUsage="SIGN_VERIFY",
        KeySpec=spec,
        Description=f"Gatehouse {get_settings().stage} {alg} signing key",
    )["KeyMetadata"]
    return metadata["Arn"]


def point_alias(alg: str, kms_key_id: str) -> None:
    client = kms_client()
    try:
        client.update_alias(AliasName=alias_name(alg), TargetKeyId=kms_key_id)
    except client.exceptions.NotFoundException:
        client.create_alias(AliasName=alias_name(alg), TargetKeyId=kms_key_id)


def _new_key(alg: str, state: str) -> SigningKey:
    if get_settings().signing_mode == "envelope":
        from chalicelib import envelope

        jwk, wrapped, wrap_arn = envelope.create(alg)
        return save_key(jwk, alg, state, wrap_arn, wrapped)
    return register(create_kms_key(alg), alg, state)


def ensure_active(alg: str) -> SigningKey:
    """Create and register an active key for `alg` unless one exists (provisioning)."""
    reset_cache()
    for key in signing_keys():
        if key.alg == alg and key.state == "active":
            return key
    if get_settings().signing_mode == "envelope":
        from chalicelib import envelope

        envelope.ensure_wrap_key()
    key = _new_key(alg, "active")
    if not key.encrypted_private_key:
        point_alias(alg, key.kms_key_id)
    reset_cache()
    return key


def rotate(alg: str) -> dict[str, str | None]:
    """Promote the staged key (if any), retire the old active one, stage a new next key."""
    from chalicelib.models import SigningKeyModel, now

    reset_cache()
    current = {
        key.state: key for key in signing_keys() if key.alg == alg and key.state != "retired"
    }
    promoted = current.get("next")
    if promoted:
        if "active" in current:
            SigningKeyModel(kid=current["active"].kid).update(
                actions=[
                    SigningKeyModel.state.set("retired"),
                    SigningKeyModel.retired_at.set(now()),
                ]
            )
        SigningKeyModel(kid=promoted.kid).update(
            actions=[SigningKeyModel.state.set("active"), SigningKeyModel.activated_at.set(now())]
        )
        if not promoted.encrypted_private_key:
            point_alias(alg, promoted.kms_key_id)
    staged = _new_key(alg, "next")
    reset_cache()
    return {"alg": alg, "activated": promoted.kid if promoted else None, "staged": staged.kid}
