"""Fixed-window attempt counters for brute-force limits (RFC 6749 §10.10, RFC 8628 §5.1).

One atomic ADD per counted failure; the counter item expires with its window. Decisions:
a window starts at the first failure (the item's `expires_at`), so a key that reached its
limit is refused until that window ends; reads are consistent so Lambdas agree. The
policies built on these counters are password_attempts.py (sign-in) and user_codes.py.
"""

from __future__ import annotations

from collections.abc import Iterable

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
    record = CounterModel(key=_window_key(kind, subject))
    for _ in range(3):
        at = now()
        add = [CounterModel.count.add(1)]
        if conditional_write(record.update, actions=add, condition=CounterModel.expires_at > at):
            return int(record.count)
        restart = [CounterModel.count.set(1), CounterModel.expires_at.set(at + window_seconds)]
        no_window = CounterModel.expires_at.does_not_exist() | (CounterModel.expires_at <= at)
        if conditional_write(record.update, actions=restart, condition=no_window):
            return 1  # no live window: this request started one
    return int(record.count)


def refund(kind: str, subject: str) -> None:
    """Take back one counted attempt that turned out not to be a failure (never below 0)."""
    record = CounterModel(key=_window_key(kind, subject))
    counted = (CounterModel.expires_at > now()) & (CounterModel.count > 0)
    conditional_write(record.update, actions=[CounterModel.count.add(-1)], condition=counted)
