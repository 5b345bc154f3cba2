"""Fixed-window attempt counters for brute-force limits (RFC 6749 §10.10, RFC 8628 §5.1),
and backoff on them (NIST SP 800-63B §5.2.2).

One atomic write per counted attempt; the counter item expires with its window. Decisions:
* A window starts at the first failure (the item's `expires_at`), so a key that reached its
  limit is refused until that window ends; reads are consistent so Lambdas agree.
* A source is an IPv4 address, or the /64 of an IPv6 address: one host owns a /64 (RFC
  4291 §2.5.1, RFC 7421), so its addresses share one counter. An IPv4-mapped address
  (`::ffff:a.b.c.d`) is its IPv4 address; anything that is not an address is "unknown".
* Backoff (`take_turns`): a key also records `next_at`, the earliest time of its next
  attempt. A turn is taken by a write conditioned on the count just read, so of parallel
  attempts exactly one takes each turn and the others see the wait it set.
The policies built on these counters are password_attempts.py (sign-in), user_codes.py and
quotas.py (request rates, which `add` a container's batch of requests at once).
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from chalicelib.models import CounterModel, conditional_write, now

UNKNOWN_SOURCE = "unknown"


def source_subject(source_ip: str) -> str:
    """What a per-source limit counts: an IPv4 address or an IPv6 /64 (see the top)."""
    try:
        address = ipaddress.ip_address(source_ip.strip())
    except ValueError:
        return UNKNOWN_SOURCE
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((int(address) >> 64 << 64, 64)))
    return str(address)


def _window_key(kind: str, subject: str) -> str:
    return f"{kind}#{subject}"


def count_of(kind: str, subject: str) -> int:
    """Failures recorded in the live window (0 when none or the window has passed)."""
    try:
        record = CounterModel.get(_window_key(kind, subject), consistent_read=True)
    except CounterModel.DoesNotExist:
        return 0
    return int(record.count) if record.is_live() else 0


def is_limited(kind: str, subject: str, limit: int) -> bool:
    return count_of(kind, subject) >= limit


def clear(kind: str, subject: str) -> None:
    """Forget a key's failures (a success resets the per-username count, never per-IP)."""
    CounterModel(key=_window_key(kind, subject)).delete()


def charge(limits: Iterable[tuple[str, str, int]], window_seconds: int) -> bool:
    """Count one attempt against each (kind, subject, limit) before the check it guards,
    so parallel attempts cannot slip past a read-then-count; True when any is now over."""
    counts = [
        (record_failure(kind, subject, window_seconds), limit) for kind, subject, limit in limits
    ]
    return any(count > limit for count, limit in counts)


def record_failure(kind: str, subject: str, window_seconds: int) -> int:
    """Add one failure; a window that has passed starts again. Returns the new count."""
    return add(kind, subject, 1, window_seconds).count


@dataclass(frozen=True)
class Window:
    """A counter's live window: its count and when it ends (a `models.now()` instant)."""

    count: int
    ends_at: float


def add(kind: str, subject: str, amount: int, window_seconds: int) -> Window:
    """Add `amount` in one atomic ADD; a window that has passed starts again with it."""
    record = CounterModel(key=_window_key(kind, subject))
    for _ in range(3):
        at = now()
        more = [CounterModel.count.add(amount)]
        if conditional_write(record.update, actions=more, condition=CounterModel.expires_at > at):
            return Window(int(record.count), float(record.expires_at))
        ends_at = at + window_seconds
        restart = [CounterModel.count.set(amount), CounterModel.expires_at.set(ends_at)]
        no_window = CounterModel.expires_at.does_not_exist() | (CounterModel.expires_at <= at)
        if conditional_write(record.update, actions=restart, condition=no_window):
            return Window(amount, ends_at)  # no live window: this request started one
    return Window(int(record.count), float(record.expires_at))


def refund(kind: str, subject: str) -> None:
    """Take back one counted attempt that turned out not to be a failure (never below 0)."""
    record = CounterModel(key=_window_key(kind, subject))
    counted = (CounterModel.expires_at > now()) & (CounterModel.count > 0)
    conditional_write(record.update, actions=[CounterModel.count.add(-1)], condition=counted)


@dataclass(frozen=True)
class Backoff:
    """Failures per window: `free` pass at once, then the n-th failure past them makes the
    next attempt wait 2^n seconds (at most `cap`); at `limit` the key waits out its window."""

    window: int
    free: int
    cap: int
    limit: int | None = None

    def wait_after(self, failures: int) -> int:
        if failures < self.free:
            return 0
        return min(2 ** min(failures - self.free + 1, 62), self.cap)


@dataclass(frozen=True)
class Bucket:
    kind: str
    subject: str
    policy: Backoff


def take_turns(buckets: Sequence[Bucket]) -> int:
    """Count one attempt in every bucket before the check it guards, or in none: 0 when
    every turn was taken, else the seconds to wait before trying again."""
    read = [(bucket, _live(bucket)) for bucket in buckets]
    wait = max((_wait(bucket.policy, record, now()) for bucket, record in read), default=0)
    if wait:
        return wait
    taken: list[Bucket] = []
    for bucket, record in read:
        wait = _take(bucket, record)
        if wait:
            for earlier in taken:
                refund(earlier.kind, earlier.subject)
            return wait
        taken.append(bucket)
    return 0


def _take(bucket: Bucket, record: CounterModel | None) -> int:
    """Take the bucket's next turn (one conditional write); else the wait someone else set."""
    for _ in range(3):
        at = now()
        wait = _wait(bucket.policy, record, at)
        if wait:
            return wait
        if _claim(bucket, record, at):
            return 0
        record = _live(bucket)
    return max(1, _wait(bucket.policy, record, now()))  # contended: try again shortly


def _claim(bucket: Bucket, record: CounterModel | None, at: float) -> bool:
    policy, item = bucket.policy, CounterModel(key=_window_key(bucket.kind, bucket.subject))
    failures = int(record.count) + 1 if record else 1
    actions = [CounterModel.count.set(failures)]
    actions.append(CounterModel.next_at.set(at + policy.wait_after(failures)))
    if record is None:
        actions.append(CounterModel.expires_at.set(at + policy.window))
        condition = CounterModel.expires_at.does_not_exist() | (CounterModel.expires_at <= at)
    else:
        condition = (CounterModel.count == failures - 1) & (CounterModel.expires_at > at)
    return conditional_write(item.update, actions=actions, condition=condition)


def _live(bucket: Bucket) -> CounterModel | None:
    try:
        record = CounterModel.get(_window_key(bucket.kind, bucket.subject), consistent_read=True)
    except CounterModel.DoesNotExist:
        return None
    return record if record.is_live() else None


def _wait(policy: Backoff, record: CounterModel | None, at: float) -> int:
    if record is None:
        return 0
    if policy.limit is not None and int(record.count) >= policy.limit:
        return math.ceil(record.expires_at - at)
    return max(0, math.ceil((record.next_at or 0) - at))
