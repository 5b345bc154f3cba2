"""Signing-key lifecycle: provisioning (`keys init`) and rotation in idempotent steps.

RFC 7517 §5 key sets; DESIGN.md, Keys and tokens: a key is published (`next`) before it
signs, signs while `active`, and stays published while `retired` until every token it
signed has expired. Decisions:
* The stage's aliases (`<KEY_ALIAS_PREFIX>-rs256|es256`) name the keys infra/ made. They
  serve only to bootstrap the key set: `keys init` (and keys.py on first use) registers the
  key behind the alias; only where no alias exists (a fresh emulator) is a key created,
  tagged, and the alias with it. The SigningKey table says which key signs, and rotation
  never moves an alias: moving it drifts the CloudFormation stack, and an alias change
  takes up to 5 minutes to reach IAM. IAM grants keys by their `gatehouse:stage` tag.
* Rotation is three steps per algorithm, each safe to repeat or to race (transitions.py):
  - stage: with no `next` key, once the active key has been active `KEY_ROTATION_DAYS`,
    a new key (in the stage's `SIGNING_MODE`) is saved as `next`, published at once;
  - activate: a `next` key published for `publish_delay()` becomes `active`, and the old
    active key `retired`;
  - delete: a retired key whose `KEY_RETIRE_SECONDS` are over is no longer published, so
    its KMS key is scheduled for deletion (30-day window) and its record marked `deleted`.
    Not deleted in KMS: envelope-mode keys (they have no KMS key of their own; the shared
    envelope key must live on) and the key behind the alias (infra/ owns and retains it).
  So an algorithm has at most an active, a next and a still-published retired key.
* `publish_delay()` is `KEY_PUBLISH_SECONDS` (default one day), never less than what the
  caches need: a staged key reaches every container's JWKS within `KEYS_CACHE_SECONDS`, and
  a verifier's copy of /jwks.json lives `JWKS_MAX_AGE` more. The extra margin is for
  verifiers that hold a JWKS past its max-age; rotating monthly, it costs nothing.
* `tick()` runs every step that is due, hourly (app.rotate_keys); `keys rotate` (the admin
  CLI) is an operator's explicit choice: it promotes the next key at once, then stages one.
"""

from __future__ import annotations

from typing import Any

from chalicelib.config import get_settings
from chalicelib.models import now
from chalicelib.signing import envelope, kms, transitions
from chalicelib.signing.keys import (
    ACTIVE,
    ALGORITHMS,
    JWKS_MAX_AGE,
    NEXT,
    RETIRED,
    SigningKey,
    alias_name,
    current_key,
    register,
    register_alias_key,
    reload,
    reset_cache,
    retire_window_over,
    save_key,
)


def publish_delay() -> int:
    settings = get_settings()
    return max(settings.key_publish_seconds, JWKS_MAX_AGE + settings.keys_cache_seconds)


def ensure_active(alg: str) -> SigningKey:
    """An active key for `alg`: the one registered, else the alias's, else a new one."""
    reload()
    key = current_key(alg)
    if key is None and get_settings().signing_mode == "envelope":
        envelope.ensure_wrap_key()
        key = _new_key(alg, ACTIVE)
    elif key is None:
        arn = kms.alias_target(alias_name(alg))
        if arn is None:  # a fresh emulator: nothing from infra/ to register
            arn = kms.create_signing_key(alg, _description(alg))
            kms.create_alias(alias_name(alg), arn)
        key = register_alias_key(alg, arn)
    reset_cache()
    return key


def stage(alg: str, at: int, force: bool = False) -> SigningKey | None:
    """Stage the active key's successor if it is due (or forced) and this run claims it."""
    keyset = reload()
    active = _find(keyset, alg, ACTIVE)
    if active is None or _find(keyset, alg, NEXT) is not None:
        return None
    if not (force or _rotation_due(active, at)) or not transitions.claim_successor(active, at):
        return None
    if _find(reload(), alg, NEXT) is not None:  # staged by a run whose claim had lapsed
        return None
    return _new_key(alg, NEXT)


def activate(alg: str, at: int, force: bool = False) -> SigningKey | None:
    """Promote the `next` key once it has been published long enough (or at once, forced)."""
    keyset = reload()
    staged = _find(keyset, alg, NEXT)
    if staged is None or not (force or staged.created_at + publish_delay() <= at):
        return None
    return staged if transitions.promote(staged, _find(keyset, alg, ACTIVE), at) else None


def delete_expired(alg: str, at: int) -> list[str]:
    """Take retired keys past their retire window out of the set (and out of KMS)."""
    deleted = []
    for key in reload():
        if key.alg != alg or key.state != RETIRED or not retire_window_over(key, at):
            continue
        own_kms_key = _has_own_kms_key(key)
        if own_kms_key:
            kms.schedule_deletion(key.kms_key_id)
        if transitions.mark_deleted(key, at, own_kms_key):
            deleted.append(key.kid)
    return deleted


def tick() -> dict[str, Any]:
    """The scheduled run: every due step for every algorithm; a second run changes nothing."""
    at = now()
    summary = [_tick(alg, at) for alg in ALGORITHMS]
    reset_cache()
    return {"at": at, "keys": summary}


def rotate(alg: str) -> dict[str, str | None]:
    """The operator's rotation: promote the staged key now (if any), then stage a new one."""
    at = now()
    promoted = activate(alg, at, force=True)
    staged = stage(alg, at, force=True)
    reset_cache()
    return {
        "alg": alg,
        "activated": promoted.kid if promoted else None,
        "staged": staged.kid if staged else None,
    }


def _tick(alg: str, at: int) -> dict[str, Any]:
    deleted = delete_expired(alg, at)
    promoted = activate(alg, at)
    staged = stage(alg, at)
    return {
        "alg": alg,
        "activated": promoted.kid if promoted else None,
        "staged": staged.kid if staged else None,
        "deleted": deleted,
    }


def _find(keyset: list[SigningKey], alg: str, state: str) -> SigningKey | None:
    return next((k for k in keyset if k.alg == alg and k.state == state), None)


def _rotation_due(active: SigningKey, at: int) -> bool:
    since = active.activated_at or active.created_at
    return since + get_settings().key_rotation_days * 86400 <= at


def _has_own_kms_key(key: SigningKey) -> bool:
    """A KMS key rotation made for this key alone: not the shared envelope key that wraps
    an envelope-mode key, not the key infra/ made behind the alias."""
    if key.encrypted_private_key:
        return False
    return kms.alias_target(alias_name(key.alg)) != key.kms_key_id


def _description(alg: str) -> str:
    return f"Gatehouse {get_settings().stage} {alg} signing key"


def _new_key(alg: str, state: str) -> SigningKey:
    if get_settings().signing_mode == "envelope":
        jwk, wrapped, wrap_arn = envelope.create(alg)
        return save_key(jwk, alg, state, wrap_arn, wrapped)
    return register(kms.create_signing_key(alg, _description(alg)), alg, state)
