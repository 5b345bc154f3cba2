"""A Lambda container's start: no garbage collection until its first event is answered.

What a cold start makes (botocore's service models and clients, pynamodb's models,
Powertools, the key set) lives as long as the container, so collecting while the modules
import and the first request runs frees nearly nothing and costs a cold /token ~60 ms of
CPU: about 150 collections, one of them of every generation (measured with gc.callbacks
beside bench/cold_start.py). Decisions:
* Importing this module turns the collector off; app.py imports it with its middleware.
* The middleware `started` (every event type, so the scheduled rotation too) turns it
  back on once the container's first event is answered, after `gc.freeze()` has moved what
  the start made into the permanent generation, so no later collection walks it again
  (the gc module's docs give the same recipe for a process about to fork).
* The cost: cyclic garbage made during the start is never freed (a one-time amount). A
  process that never serves an event (the admin CLI, the emulator) never imports this.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable
from typing import Any

gc.disable()
_lock = threading.Lock()
_started = False


def started(event: Any, get_response: Callable[[Any], Any]) -> Any:
    """Chalice middleware: after the container's first answer, freeze its start, collect again."""
    try:
        return get_response(event)
    finally:
        if not _started:
            _start_collecting()


def _start_collecting() -> None:
    global _started
    with _lock:  # `chalice local` answers on threads; freeze and enable once
        if not _started:
            gc.freeze()
            gc.enable()
            _started = True
