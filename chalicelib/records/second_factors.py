"""A person's second factors as one thing: what they have, checking one at sign-in, the
per-person requirement, and the administrator's reset.

The factors themselves are records/totp.py (authenticator app), records/passkeys.py and
records/recovery_codes.py. Decisions:
* `check` tries what the person typed or sent under the brute-force policy of passwords
  (records/password_attempts.py), and answers the amr method it proved.
* Recovery codes exist only beside another factor: they are made with the first one and
  removed with the last one, so a person never keeps codes for nothing.
* `require_mfa` on a person (admin CLI) means every sign-in must be multi-factor; a person
  with no factor yet is sent to enrol one before anything else (endpoints/account.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.models import UserModel
from chalicelib.records import assurance, passkeys, password_attempts, recovery_codes, totp, users
from chalicelib.records.users import User


@dataclass(frozen=True)
class Checked:
    """A second factor tried at sign-in: the amr method it proved, or why it did not."""

    method: str | None = None
    retry_after: int = 0


def enrolled(user: User) -> bool:
    return users.has_second_factor(user)


def required(user: User) -> bool:
    return bool(user.require_mfa)


def check_code(user: User, typed: str, source_ip: str, device: str) -> Checked:
    """An authenticator-app code (six digits) or a recovery code, spent if right."""
    code = "".join(typed.split())
    if totp.enrolled(user) and len(code) == totp.DIGITS:
        attempt = password_attempts.second_factor(
            user.username, source_ip, device, lambda: totp.verify(user, code)
        )
    else:
        attempt = password_attempts.second_factor(
            user.username, source_ip, device, lambda: recovery_codes.use(user, typed)
        )
    if attempt.locked:
        return Checked(retry_after=attempt.retry_after)
    return Checked(method=assurance.OTP if attempt.ok else None)


def after_first_enrolment(user: User) -> list[str]:
    """Recovery codes for a person who has just enrolled their first factor (else [])."""
    if recovery_codes.remaining(user):
        return []
    return recovery_codes.generate(user)


def after_removal(user: User) -> None:
    """Once the last factor is gone, its recovery codes go too."""
    fresh = users.get_user(user.username)
    if fresh is not None and not users.has_second_factor(fresh):
        recovery_codes.remove(fresh)


def reset(user: User) -> None:
    """Remove every second factor and recovery code (`admin user mfa reset`)."""
    totp.remove(user)
    passkeys.remove_all(user)
    recovery_codes.remove(user)


def set_required(username: str, required: bool) -> User:
    """Whether the person must sign in with a second factor; DoesNotExist if unknown."""
    user = UserModel.get(username, consistent_read=True)
    users.update_person(user, [UserModel.require_mfa.set(required)])
    return user
