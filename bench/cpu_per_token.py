"""Process CPU per warm client_credentials token through the Chalice app.

Against moto the figure includes the emulated KMS signature (an RSA-2048 sign in-process);
in AWS that work happens in KMS and our Lambda waits on the network instead.
"""

from __future__ import annotations

import time
from typing import Any

from bench.harness import stack

REQUESTS = 200


def run() -> dict[str, Any]:
    with stack() as (http, headers):
        http.post("/token", body="grant_type=client_credentials", headers=headers)
        started = time.process_time()
        for _ in range(REQUESTS):
            response = http.post("/token", body="grant_type=client_credentials", headers=headers)
            assert response.status_code == 200
        cpu = time.process_time() - started
    return {"requests": REQUESTS, "cpu_ms_per_token": round(cpu * 1000 / REQUESTS, 2)}
