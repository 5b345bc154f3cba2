"""The in-process AWS of the flow tests: provisioned once, emptied between tests.

moto keeps its state for the whole session; after each test every table is emptied and the
signing-key set (with the aliases behind it) is put back as provisioning left it, so a test
starts from the same state as if moto had just been provisioned, at a fraction of the cost.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


def reset_caches() -> None:
    """What a new Lambda container would not have: every per-container cache."""
    from chalicelib.records import clients, quotas
    from chalicelib.signing import envelope, keys, kms

    clients.reset_cache()
    quotas.reset_cache()
    keys.reset_cache()
    kms.client.cache_clear()
    envelope.reset_cache()


@dataclass(frozen=True)
class Provisioned:
    signing_keys: list[Any]
    aliases: dict[str, str]


def provision() -> Provisioned:
    from chalicelib.emulator import provision as provision_stack
    from chalicelib.models import SigningKeyModel

    reset_caches()
    provision_stack()
    return Provisioned(list(SigningKeyModel.scan()), _aliases())


def restore(state: Provisioned) -> None:
    """Empty every table, then put back the provisioned key set and aliases."""
    from chalicelib.models import ALL_MODELS, SigningKeyModel
    from chalicelib.signing import kms

    for model in ALL_MODELS:
        with model.batch_write() as batch:
            for item in model.scan():
                batch.delete(item)
    with SigningKeyModel.batch_write() as batch:
        for record in state.signing_keys:
            batch.save(record)
    current = _aliases()
    for alias, key_id in state.aliases.items():
        if current.get(alias) != key_id:
            kms.client().update_alias(AliasName=alias, TargetKeyId=key_id)
    reset_caches()


def _aliases() -> dict[str, str]:
    """Our stage's aliases (moto also lists AWS-managed ones, which cannot be moved)."""
    from chalicelib.config import get_settings
    from chalicelib.signing import kms

    prefix = get_settings().key_alias_prefix
    listed = kms.client().list_aliases()["Aliases"]
    return {
        a["AliasName"]: a["TargetKeyId"]
        for a in listed
        if a["AliasName"].startswith(prefix) and "TargetKeyId" in a
    }
