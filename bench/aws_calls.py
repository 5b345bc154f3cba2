"""AWS API calls per client_credentials request, cold (new container) and warm."""

from __future__ import annotations

from typing import Any

import botocore.client

from bench.harness import new_container, stack


def run() -> dict[str, Any]:
    return {mode: _run(mode) for mode in ("kms", "envelope")}


def _run(mode: str) -> dict[str, Any]:
    calls: list[str] = []
    real = botocore.client.BaseClient._make_api_call

    def counting(self: Any, operation: str, params: dict[str, Any]) -> Any:
        calls.append(f"{self.meta.service_model.service_name}:{operation}")
        return real(self, operation, params)

    with stack(mode) as (http, headers):
        new_container()
        botocore.client.BaseClient._make_api_call = counting
        try:
            http.post("/token", body="grant_type=client_credentials", headers=headers)
            cold = list(calls)
            calls.clear()
            http.post("/token", body="grant_type=client_credentials", headers=headers)
            warm = list(calls)
        finally:
            botocore.client.BaseClient._make_api_call = real
    return {"client_credentials cold": cold, "client_credentials warm": warm}
