"""Process CPU per warm client_credentials token through the Chalice app, per signing mode.

`kms` against moto includes the emulated KMS signature (an RSA-2048 sign in-process); in
AWS that work happens in KMS and our Lambda waits on the network instead. `envelope` signs
in-process in AWS too, so its figure is what a Lambda spends. Access tokens are RS256 until
chalicelib/config.py has ACCESS_TOKEN_ALG; with it, envelope mode is measured in ES256 too.
"""

from __future__ import annotations

from typing import Any

from bench.harness import CLIENT_CREDENTIALS, has_access_token_alg, stack
from bench.timing import cpu_us_per_call


def variants() -> list[tuple[str, str, str | None]]:
    """(label, signing mode, ACCESS_TOKEN_ALG or None for the code's default)."""
    found = [
        ("kms RS256 (moto signs in-process)", "kms", None),
        ("envelope RS256", "envelope", None),
    ]
    if has_access_token_alg():
        found = [
            ("kms RS256 (moto signs in-process)", "kms", "RS256"),
            ("envelope RS256", "envelope", "RS256"),
            ("envelope ES256", "envelope", "ES256"),
        ]
    return found


def run(calls: int = 200, rounds: int = 5) -> dict[str, Any]:
    return {
        label: {"cpu_us_per_token": _run(mode, alg, calls, rounds)}
        for label, mode, alg in variants()
    }


def _run(mode: str, alg: str | None, calls: int, rounds: int) -> float:
    with stack(mode, alg) as (http, headers):

        def token() -> None:
            response = http.post("/token", body=CLIENT_CREDENTIALS, headers=headers)
            assert response.status_code == 200, response.body

        return cpu_us_per_call(token, calls, rounds)
