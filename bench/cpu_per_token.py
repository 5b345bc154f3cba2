"""Process CPU per warm client_credentials token through the Chalice app, per signing mode.

`kms` against moto includes the emulated KMS signature (an RSA-2048 sign in-process); in
AWS that work happens in KMS and our Lambda waits on the network instead. `envelope` signs
in-process in AWS too, so its figure is what a Lambda spends.
"""

from __future__ import annotations

import time
from typing import Any

from bench.harness import stack

REQUESTS = 200


def run() -> dict[str, Any]:
    return {mode: _run(mode) for mode in ("kms", "envelope")}


def _run(mode: str) -> dict[str, Any]:
    with stack(mode) as (http, headers):
        http.post("/token", body="grant_type=client_credentials", headers=headers)
        started = time.process_time()
        for _ in range(REQUESTS):
            response = http.post("/token", body="grant_type=client_credentials", headers=headers)
            assert response.status_code == 200
        cpu = time.process_time() - started
    return {"requests": REQUESTS, "cpu_ms_per_token": round(cpu * 1000 / REQUESTS, 2)}
