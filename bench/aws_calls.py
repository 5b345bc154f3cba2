"""AWS API calls per request of every flow, cold (new container) and warm, per signing mode.

Counted at botocore's one door (`BaseClient._make_api_call`), so pynamodb's and KMS's calls
are both seen. Cold: the container's caches are forgotten just before the request. Warm:
the mean over `warm_requests` requests once the caches are filled, because some costs come
in batches (a busy client's token quota: a container adds to the shared counter once past
its local share, then every TOKEN_RATE_BATCH tokens; the harness's client never gets there).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import botocore.client

from bench.flows import FLOWS, Send, setup
from bench.harness import new_container, stack


@contextmanager
def counting() -> Iterator[list[str]]:
    calls: list[str] = []
    real = botocore.client.BaseClient._make_api_call

    def count(self: Any, operation: str, params: dict[str, Any]) -> Any:
        calls.append(f"{self.meta.service_model.service_name}:{operation}")
        return real(self, operation, params)

    botocore.client.BaseClient._make_api_call = count
    try:
        yield calls
    finally:
        botocore.client.BaseClient._make_api_call = real


def run(
    warm_requests: int = 10,
    flows: tuple[str, ...] | None = None,
    modes: tuple[str, ...] = ("kms", "envelope"),
) -> dict[str, Any]:
    return {mode: _run(mode, warm_requests, flows) for mode in modes}


def _run(mode: str, warm_requests: int, only: tuple[str, ...] | None) -> dict[str, Any]:
    found: dict[str, Any] = {}
    with stack(mode) as (http, headers):
        fixtures = setup(http, headers)
        for name, flow in FLOWS.items():
            if only is None or name in only:
                found[name] = _measure(lambda f=flow: f(fixtures), warm_requests)
    return found


def _measure(prepare: Callable[[], Send], warm_requests: int) -> dict[str, Any]:
    send = prepare()
    new_container()
    with counting() as calls:
        status = send().status_code
    cold = list(calls)
    sends = [prepare() for _ in range(warm_requests)]
    with counting() as calls:
        for warm in sends:
            warm()
    return {
        "status": status,
        "cold": len(cold),
        "cold_calls": dict(Counter(cold)),
        "warm": round(len(calls) / warm_requests, 2),
        "warm_calls": {op: n / warm_requests for op, n in Counter(calls).items()},
    }
