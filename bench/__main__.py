"""Run every benchmark; print the tables and write bench/results.md and bench/cost.png."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from bench import (
    aws_calls,
    cold_start,
    cost,
    cpu_per_token,
    floor_pyjwt,
    peer_authlib,
    report,
    side_by_side,
    throughput,
)
from bench.harness import has_access_token_alg

HERE = Path(__file__).parent


def main() -> None:
    # the app's request log and EMF lines still cost their CPU, only not on this screen
    with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
        results = {
            "side_by_side": side_by_side.run(),
            "cpu_per_token": cpu_per_token.run(),
            "peer_authlib": peer_authlib.run(),
            "floor_pyjwt": floor_pyjwt.run(),
            "aws_calls": aws_calls.run(),
            "cold_start": cold_start.run(),
            "throughput": throughput.run(),
        }
    results["cost"] = cost.run(results["aws_calls"])
    cost.chart(results["cost"], HERE / "cost.png")
    notes = [
        *report.verdicts(results),
        "kms mode's CPU includes moto's in-process RSA signature; in AWS, KMS signs and the "
        "Lambda waits on the network instead.",
        "Gatehouse signs access tokens "
        + (
            "with ACCESS_TOKEN_ALG (both algorithms measured)."
            if has_access_token_alg()
            else "RS256: chalicelib/config.py has no ACCESS_TOKEN_ALG yet, so envelope ES256 "
            "is not measured; compare it with the RS256 floor."
        ),
        "Cognito: the first tier of its machine-to-machine price as published "
        f"(${cost.p.COGNITO_M2M_PER_THOUSAND} per 1,000 token requests) plus $6 per app "
        "client a month; Gatehouse's fixed ~$7 a month (keys, metrics, alarms) is left out.",
    ]
    page = report.markdown(results, notes)
    (HERE / "results.md").write_text(page)
    print(page)


if __name__ == "__main__":
    main()
