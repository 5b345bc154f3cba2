"""CPU per call: process time over `calls` warm calls, the median of `rounds` rounds; and
the same for several functions taking turns (`cpu_us_interleaved`)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any


def cpu_us_per_call(fn: Callable[[], Any], calls: int, rounds: int) -> float:
    """Median over rounds of the process CPU (µs) one call of `fn` costs, after a warm-up."""
    fn()
    per_round = []
    for _ in range(rounds):
        started = time.process_time()
        for _ in range(calls):
            fn()
        per_round.append((time.process_time() - started) / calls)
    return round(statistics.median(per_round) * 1e6, 1)


def cpu_us_interleaved(
    fns: dict[str, Callable[[], Any]], calls: int, rounds: int
) -> dict[str, float]:
    """Median over rounds of the process CPU (µs) one call of each of `fns` costs, the
    functions taking turns round by round (after a warm-up of each), so that a machine
    slower in one minute than the next slows all of them alike."""
    for fn in fns.values():
        for _ in range(10):
            fn()
    per_round: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            started = time.process_time()
            for _ in range(calls):
                fn()
            per_round[name].append((time.process_time() - started) / calls)
    return {name: round(statistics.median(v) * 1e6, 1) for name, v in per_round.items()}
