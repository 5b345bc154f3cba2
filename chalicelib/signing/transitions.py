"""The conditional writes that move a signing key between states, each safe to race.

RFC 7517 §5 key sets; DESIGN.md, Keys and tokens. rotation.py decides *when* a key moves;
this module makes each move happen at most once however many runs (the scheduled
function, an operator's `keys rotate`, a retried Lambda) attempt it at the same time:
* Staging a successor is claimed first on the active key's record (`successor_claimed_at`,
  written only if absent or older than `CLAIM_SECONDS`, so a crashed run blocks nobody for
  long); the run that loses the claim stages nothing.
* Promotion is one transaction conditioned on the states that were read: `next` becomes
  `active` and the old `active` becomes `retired`, or nothing changes.
* Deletion from the set is conditioned on `retired`, so it is stamped once.
"""

from __future__ import annotations

from pynamodb.exceptions import TransactWriteError

from chalicelib.models import SigningKeyModel, conditional_write, transact_write
from chalicelib.signing.keys import ACTIVE, DELETED, NEXT, RETIRED, SigningKey

# Longer than a rotation run can take (the scheduled function's Lambda timeout is 60 s).
CLAIM_SECONDS = 300


def claim_successor(active: SigningKey, at: int) -> bool:
    """True if this run may stage `active`'s successor (no other run claimed it lately)."""
    claimed = SigningKeyModel.successor_claimed_at
    return conditional_write(
        SigningKeyModel(kid=active.kid).update,
        actions=[claimed.set(at)],
        condition=(SigningKeyModel.state == ACTIVE)
        & (claimed.does_not_exist() | (claimed < at - CLAIM_SECONDS)),
    )


def promote(staged: SigningKey, active: SigningKey | None, at: int) -> bool:
    """`staged` (next) becomes active and `active` retired, together; False if another run
    moved either first."""
    try:
        with transact_write() as tx:
            tx.update(
                SigningKeyModel(kid=staged.kid),
                actions=[SigningKeyModel.state.set(ACTIVE), SigningKeyModel.activated_at.set(at)],
                condition=SigningKeyModel.state == NEXT,
            )
            if active is not None:
                tx.update(
                    SigningKeyModel(kid=active.kid),
                    actions=[
                        SigningKeyModel.state.set(RETIRED),
                        SigningKeyModel.retired_at.set(at),
                    ],
                    condition=SigningKeyModel.state == ACTIVE,
                )
    except TransactWriteError as exc:
        if exc.cause_response_code != "TransactionCanceledException":
            raise
        return False  # a condition failed or another transaction conflicted: decide next run
    return True


def mark_deleted(retired: SigningKey, at: int, kms_key_deleted: bool) -> bool:
    """Take a retired key out of the set for good, stamping when its own KMS key was
    scheduled for deletion (if it had one); False if another run already did."""
    actions = [SigningKeyModel.state.set(DELETED)]
    if kms_key_deleted:
        actions.append(SigningKeyModel.deletion_scheduled_at.set(at))
    return conditional_write(
        SigningKeyModel(kid=retired.kid).update,
        actions=actions,
        condition=SigningKeyModel.state == RETIRED,
    )
