"""Throughput and latency through the local stack, as a client sees them.

`make run`'s stack (python -m chalicelib.emulator: moto server and `chalice local` with its
raised listen backlog) on free ports, and warm client_credentials requests from 1, 4 and 16
concurrent clients over HTTP: tokens per second, p50/p99 latency, errors and reset
connections. The demo client's per-client quota is lifted: this measures the server, not
the quota. Figures are the dev server's (one process, threads, moto in it), not Lambda's.
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.helpers.stack import _wait_http, free_port

ROOT = Path(__file__).resolve().parents[1]
CONCURRENCY = (1, 4, 16)


@contextmanager
def local_stack() -> Iterator[dict[str, Any]]:
    """The running stack's ready line: issuer and the demo service client."""
    env = {
        **os.environ,
        "PORT": str(free_port()),
        "EMULATOR_PORT": str(free_port()),
        "TOKEN_RATE_PER_CLIENT": "100000",
        "TOKEN_BURST_PER_CLIENT": "1000000",
        "PYTHONUNBUFFERED": "1",
    }
    for name in ("ISSUER", "TABLE_PREFIX", "KEY_ALIAS_PREFIX", "GATEHOUSE_STAGE"):
        env.pop(name, None)
    command = [sys.executable, "-m", "chalicelib.emulator"]
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("GATEHOUSE READY "):
                ready = json.loads(line.removeprefix("GATEHOUSE READY "))
                break
        else:
            raise RuntimeError("the local stack did not start")
        threading.Thread(target=process.stdout.read, daemon=True).start()  # drain its log
        _wait_http(ready["issuer"] + "/jwks.json")
        yield ready
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def _client(issuer: str, credentials: tuple[str, str], count: int, out: list[Any]) -> None:
    import requests

    session = requests.Session()
    for _ in range(count):
        started = time.perf_counter()
        try:
            response = session.post(
                f"{issuer}/token", data={"grant_type": "client_credentials"},
                auth=credentials, timeout=30,
            )  # fmt: skip
            outcome = "ok" if response.status_code == 200 else f"http {response.status_code}"
        except requests.ConnectionError as exc:
            outcome = "reset" if "reset" in str(exc).lower() else "connection error"
        out.append((time.perf_counter() - started, outcome))


def measure(ready: dict[str, Any], concurrency: int, per_client: int) -> dict[str, Any]:
    service = ready["service"]
    credentials = (service["client_id"], service["client_secret"])
    results: list[Any] = []
    threads = [
        threading.Thread(target=_client, args=(ready["issuer"], credentials, per_client, results))
        for _ in range(concurrency)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies = sorted(seconds for seconds, outcome in results if outcome == "ok")
    failures = [outcome for _, outcome in results if outcome != "ok"]
    return {
        "requests": len(results),
        "tokens_per_second": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
        "p99_ms": round(latencies[int(0.99 * (len(latencies) - 1))] * 1000, 1)
        if latencies
        else None,
        "errors": len([f for f in failures if f != "reset"]),
        "resets": failures.count("reset"),
    }


def run(concurrency: tuple[int, ...] = CONCURRENCY, per_client: int = 60) -> dict[str, Any]:
    with local_stack() as ready:
        measure(ready, 1, 5)  # warm the container: client cache, keys, imports
        return {f"{c} clients": measure(ready, c, per_client) for c in concurrency}
