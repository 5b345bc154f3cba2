"""The benchmarks stay runnable: each runs with tiny sizes and answers in the shape the
report reads. Nothing here is timed or compared; `make bench` measures."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bench.report import SIDES


def test_floor_signs_es256_and_rs256_and_reports_cpu_per_token() -> None:
    from bench import floor_pyjwt

    found = floor_pyjwt.run(calls=2, rounds=1)
    assert set(found) == {"ES256", "RS256"}
    assert all(v["cpu_us_per_token"] > 0 for v in found.values())


def test_authlib_peer_issues_an_rfc9068_es256_token() -> None:
    import jwt

    from bench import peer_authlib

    http, headers = peer_authlib.build()
    answer = http.post("/token", data=peer_authlib.FORM, headers=headers).json
    header = jwt.get_unverified_header(answer["access_token"])
    claims = jwt.decode(answer["access_token"], options={"verify_signature": False})
    assert (header["alg"], header["typ"]) == ("ES256", "at+jwt")
    assert {"iss", "sub", "aud", "exp", "iat", "jti", "client_id", "scope"} <= set(claims)
    assert peer_authlib.run(calls=2, rounds=1)["ES256"]["cpu_us_per_token"] > 0


def test_gatehouse_benchmarks_measure_every_flow_and_variant() -> None:
    """In a process of its own: the harness sets its own environment and moto."""
    found = json.loads(_in_process_of_its_own(SMALL_RUN))
    for mode in found["aws_calls"]:
        assert set(found["aws_calls"][mode]) == set(found["flows"])
        for flow, figures in found["aws_calls"][mode].items():
            assert figures["status"] in (200, 400), flow  # 400: authorization_pending
            assert figures["cold"] >= 1 and figures["warm"] >= 0, flow
    assert all(v["cpu_us_per_token"] > 0 for v in found["cpu_per_token"].values())
    assert {"bare import boto3", "app + first /token event (kms)"} <= set(found["cold_start"])
    sides = {f"{who}, {side}" for who in ("gatehouse", "peer") for side in SIDES}
    assert set(found["side_by_side"]) == sides | {"floor"}
    assert all(us > 0 for us in found["side_by_side"].values())


SMALL_RUN = """
import contextlib, json, os, sys
from bench import aws_calls, cold_start, cpu_per_token, side_by_side
from bench.flows import FLOWS
with contextlib.redirect_stdout(open(os.devnull, "w")):
    found = {
        "flows": list(FLOWS),
        "aws_calls": aws_calls.run(warm_requests=1, modes=("envelope",)),
        "cpu_per_token": cpu_per_token.run(calls=1, rounds=1),
        "side_by_side": side_by_side.run(calls=1, rounds=1),
        "cold_start": cold_start.run(runs=1, modes=("kms",)),
    }
print(json.dumps(found))
"""


def _in_process_of_its_own(code: str) -> str:
    root = Path(__file__).resolve().parent.parent
    env = {k: v for k, v in os.environ.items() if k.startswith("AWS_") or k in ("PATH", "HOME")}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip().splitlines()[-1]


def test_cost_table_and_chart(tmp_path: Path) -> None:
    from bench import cost

    table = cost.run()
    assert all(v["total"] > 0 for v in table.values())
    cost.chart(table, tmp_path / "cost.png")
    assert (tmp_path / "cost.png").read_bytes()[:4] == b"\x89PNG"


def test_throughput_runs_the_local_stack_and_reports_latency_and_failures() -> None:
    from bench import throughput

    found = throughput.run(concurrency=(2,), per_client=3)
    figures = found["2 clients"]
    assert figures["requests"] == 6 and figures["errors"] == figures["resets"] == 0
    assert figures["tokens_per_second"] > 0 and 0 < figures["p50_ms"] <= figures["p99_ms"]
