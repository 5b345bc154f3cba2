"""CPU per call: process time over `calls` warm calls, the median of `rounds` rounds."""

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
