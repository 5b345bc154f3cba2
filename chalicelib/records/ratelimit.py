"""Fixed-window attempt counters for brute-force limits (RFC 6749 §10.10, RFC 8628 §5.1).

One atomic ADD per counted failure; the counter item expires with its window. Decisions:
a window starts at the first failure (the item's `expires_at`), so a key that reached its
limit is refused until that window ends; reads are consistent so Lambdas agree. The
policies built on these counters are password_attempts.py (sign-in), user_codes.py and
quotas.py (request rates, which `add` a container's batch of requests at once).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from chalicelib.models import CounterModel, conditional_write, now


def source_subject(source_ip: str) -> str:
    """What a per-source limit counts (every source without an address shares one key)."""
    return source_ip or "unknown"


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
