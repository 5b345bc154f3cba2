"""Refresh-token families: one per grant, so one write revokes a whole chain of tokens.

RFC 9700 §4.14.2 (refresh token reuse "revokes the complete grant"), RFC 7009 §2.1.
Decisions: a family is created with the grant's first refresh token (refresh_tokens.py)
and lives as long as its absolute lifetime. Revocation sets `revoked_at` once (the first
reason is kept); every token of the family, and every access token that carries the
family's id, is then refused. The family id is 128 random bits: it appears in access
tokens, so it is not a secret, and knowing it grants nothing. A family keeps the resources
its grant was for (RFC 8707 §2.2): every refresh chooses its audience within them.
"""

from __future__ import annotations

import uuid

from chalicelib.models import RefreshFamilyModel, conditional_write, now


def new_family_id() -> str:
    return uuid.uuid4().hex


def revoke(family_id: str, reason: str = "revoked") -> bool:
    """Mark the family revoked (first revocation wins; unknown or revoked: nothing to do);
    True if this call revoked it."""
    family = RefreshFamilyModel(family_id=family_id)
    return conditional_write(
        family.update,
        actions=[
            RefreshFamilyModel.revoked_at.set(now()),
            RefreshFamilyModel.revoked_reason.set(reason),
        ],
        condition=RefreshFamilyModel.family_id.exists()
        & RefreshFamilyModel.revoked_at.does_not_exist(),
    )


def is_live(family_id: str, at: int | None = None) -> bool:
    try:
        family = RefreshFamilyModel.get(family_id, consistent_read=True)
    except RefreshFamilyModel.DoesNotExist:
        return False
    return family.revoked_at is None and family.is_live(at)


def granted_resources(family_id: str) -> tuple[str, ...]:
    """The resources the family's grant was for; () for an unknown family or one from before
    resources were recorded (the caller then takes DEFAULT_AUDIENCE)."""
    try:
        family = RefreshFamilyModel.get(family_id, consistent_read=True)
    except RefreshFamilyModel.DoesNotExist:
        return ()
    return tuple(family.resources or ())


def live_condition(at: int) -> object:
    """The condition a write makes when it needs the family alive (rotation)."""
    return RefreshFamilyModel.revoked_at.does_not_exist() & (RefreshFamilyModel.expires_at > at)
