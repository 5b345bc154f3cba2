"""The brute-force policy for passwords, one for the login page and the password grant.

RFC 6749 §10.10 and §4.3.2, RFC 9700 §4.16 (and §2.4 for the password grant), NIST SP
800-63B §5.2.2 (rate limiting), OWASP device cookies (records/trusted_devices.py).
Every attempt is counted in buckets (records/ratelimit.py) before its password is checked:
* Trusted: the browser presents a device cookie trusted for this username (it signed in
  as this username before). Its attempts count only in that device's own bucket; the
  username's untrusted bucket and the source's bucket neither refuse nor count them. So an
  attacker hammering a username, or a busy source, never keeps its owner out of a browser
  the owner has used.
* Untrusted (no cookie, a cookie not trusted for this username, every password grant):
  the attempt counts in the username's untrusted bucket *and* in the source's bucket.
* An account bucket (trusted device or untrusted username) lets `PASSWORD_BACKOFF_AFTER`
  (5) failures pass at once; after the n-th failure past them the next attempt must wait
  2^n seconds (2, 4, 8, ...), at most `PASSWORD_BACKOFF_CAP` (900). At
  `PASSWORD_DAILY_FAILURE_LIMIT` (100, NIST's bound) failures it is refused until its day
  (24 h from its first failure) is over.
* The source bucket (an IPv4 address or an IPv6 /64, ratelimit.source_subject) backs off
  the same way after `PASSWORD_SOURCE_BACKOFF_AFTER` (50) failures, at most
  `PASSWORD_SOURCE_BACKOFF_CAP` (60) seconds, and is never refused for longer: it slows
  guessing (and password spraying across usernames) from one network, and delays, never
  locks out, an untrusted neighbour behind the same NAT; a trusted browser skips it.
* An attempt in a wait is refused without a password check and without a count, even
  with the right password (otherwise a wait would still answer guesses); the refusal says
  how long to wait. Every refusal counts one Lockouts metric (observability.py).
* A right password (for an enabled user) clears its account bucket and takes back its own
  count from the source's, so the source keeps the failures of others.
* Second factors (records/second_factors.py) are guessed under the same policy: for a
  person who has one, a right password settles nothing; each code tried counts in the
  same buckets (`second_factor`), and only the right second factor clears them. So one
  who knows the password cannot reset the count by entering it again between guesses.
* Usernames and device cookies are counted by SHA-256: the counters hold neither.
* An unknown user, a wrong password and a disabled account are one outcome (`user` None),
  and cost the same Argon2id work, so neither the answer nor its timing tells them apart;
  unknown usernames have buckets as real ones do.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from chalicelib import observability
from chalicelib.config import get_settings
from chalicelib.opaque import sha256_hex
from chalicelib.records import ratelimit, trusted_devices, users
from chalicelib.records.ratelimit import Backoff, Bucket
from chalicelib.records.users import User

PER_USER = "password-user"
PER_DEVICE = "password-device"
PER_SOURCE = "password-source"
DAY = 86400


@dataclass(frozen=True)
class Attempt:
    """How a password attempt ended: `user` when it succeeded; `retry_after` seconds when
    the limits refused it (the password then was never checked)."""

    user: User | None
    retry_after: int = 0
    ok: bool = False  # a second factor that was right (`second_factor`)

    @property
    def locked(self) -> bool:
        return self.retry_after > 0


def attempt(username: str, password: str, source_ip: str, device: str = "") -> Attempt:
    """Check a password under the policy above; `device` is the browser's device cookie."""
    buckets = _buckets(username, source_ip, device)
    wait = ratelimit.take_turns(buckets)
    if wait:
        observability.count(observability.LOCKOUTS)
        return Attempt(None, retry_after=wait)
    user = users.get_user(username)
    matches = users.check_password(password, user.password_hash if user else None)
    if not matches or not users.may_act(user):
        return Attempt(None)
    if not users.has_second_factor(user):
        _settle(buckets)
    return Attempt(user)


def second_factor(username: str, source_ip: str, device: str, check: Callable[[], bool]) -> Attempt:
    """Try a second factor (`check`, which spends it if right) under the policy above;
    `user` is not looked up here: a success is `Attempt(None)` with `ok` True."""
    buckets = _buckets(username, source_ip, device)
    wait = ratelimit.take_turns(buckets)
    if wait:
        observability.count(observability.LOCKOUTS)
        return Attempt(None, retry_after=wait)
    if not check():
        return Attempt(None)
    _settle(buckets)
    return Attempt(None, ok=True)


def settle(username: str, source_ip: str, device: str) -> None:
    """A sign-in completed by a factor that cannot be guessed (a passkey): as a right code."""
    _settle(_buckets(username, source_ip, device))


def _settle(buckets: list[Bucket]) -> None:
    account, *source = buckets
    ratelimit.clear(account.kind, account.subject)
    for bucket in source:
        ratelimit.refund(bucket.kind, bucket.subject)


def refusal(retry_after: int) -> str:
    """What a refused attempt is told, on the login page and in the password grant."""
    if retry_after < 120:
        wait = f"{retry_after} second{'s' if retry_after != 1 else ''}"
    elif retry_after < 7200:
        wait = f"{math.ceil(retry_after / 60)} minutes"
    else:
        wait = f"{math.ceil(retry_after / 3600)} hours"
    return f"Too many failed attempts. Try again in {wait}."


def _buckets(username: str, source_ip: str, device: str) -> list[Bucket]:
    """The account's bucket first, then (untrusted only) the source's."""
    settings = get_settings()
    account = Backoff(
        window=DAY,
        free=settings.password_backoff_after,
        cap=settings.password_backoff_cap,
        limit=settings.password_daily_failure_limit,
    )
    trusted = trusted_devices.trusted_binding(username, device)
    if trusted is not None:
        return [Bucket(PER_DEVICE, trusted, account)]
    source = Backoff(
        window=DAY,
        free=settings.password_source_backoff_after,
        cap=settings.password_source_backoff_cap,
    )
    return [
        Bucket(PER_USER, sha256_hex(username), account),
        Bucket(PER_SOURCE, ratelimit.source_subject(source_ip), source),
    ]
