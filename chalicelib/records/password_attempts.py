"""The brute-force policy for passwords, one for the login page and the password grant.

RFC 6749 §10.10 and §4.3.2, RFC 9700 §4.16 (and §2.4 for the password grant).
Decisions:
* One policy, one set of counters: a guess counts against the account and against the
  source address whichever door it came through, so two doors do not double an
  attacker's guesses. Limits are settings: `PASSWORD_USER_FAILURE_LIMIT` per username and
  `PASSWORD_IP_FAILURE_LIMIT` per source address (looser: many people share an address),
  in fixed windows of `PASSWORD_FAILURE_WINDOW` seconds from the first failure.
* Usernames are counted by SHA-256, so the counters table holds no usernames.
* A key already at its limit is refused without a password check and without another
  count. Otherwise the attempt is counted (one atomic ADD) before the password is checked,
  so parallel guesses cannot all pass as under the limit. Every refused attempt counts one
  Lockouts metric (observability.py).
* A right password (for an enabled user) clears the username's count and takes back its
  own count from the address's, so the address keeps the failures of others.
* An unknown user, a wrong password and a disabled account are one outcome (`user` None),
  and cost the same Argon2id work, so neither the answer nor its timing tells them apart.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib import observability
from chalicelib.config import get_settings
from chalicelib.opaque import sha256_hex
from chalicelib.records import ratelimit, users
from chalicelib.records.users import User

PER_USER = "password-user"
PER_SOURCE = "password-ip"


@dataclass(frozen=True)
class Attempt:
    """How a password attempt ended: `user` when it succeeded, `locked` when it was refused
    by the limits (the password then was never checked)."""

    user: User | None
    locked: bool = False


def attempt(username: str, password: str, source_ip: str) -> Attempt:
    settings = get_settings()
    limits = [
        (PER_USER, sha256_hex(username), settings.password_user_failure_limit),
        (PER_SOURCE, ratelimit.source_subject(source_ip), settings.password_ip_failure_limit),
    ]
    locked = any(ratelimit.is_limited(kind, subject, limit) for kind, subject, limit in limits)
    if locked or ratelimit.charge(limits, settings.password_failure_window):
        observability.count(observability.LOCKOUTS)
        return Attempt(None, locked=True)
    user = users.get_user(username)
    matches = users.check_password(password, user.password_hash if user else None)
    if not matches or not users.may_act(user):
        return Attempt(None)
    ratelimit.clear(PER_USER, limits[0][1])
    ratelimit.refund(PER_SOURCE, limits[1][1])
    return Attempt(user)
