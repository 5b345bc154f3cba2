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
* botocore imports urllib3's pyOpenSSL shim whenever pyOpenSSL is installed, only to take
  the stdlib SSLContext back out of it; pyOpenSSL is in the bundle for passkeys (py_webauthn
  checks attestation certificates with it), and loading it cost every cold start ~50 ms
  of CPU before botocore made a client (5 runs each of `import botocore.httpsession`:
  164-217 ms with it, 131-157 ms without). Importing this module marks the shim as
  absent, so botocore takes the stdlib SSLContext directly, as it does without pyOpenSSL;
  py_webauthn imports OpenSSL itself, when a passkey is registered.
"""

from __future__ import annotations

import gc
import sys
import threading
from collections.abc import Callable
from typing import Any

gc.disable()
sys.modules.setdefault("urllib3.contrib.pyopenssl", None)  # type: ignore[arg-type]
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
