"""The benchmarks' figures as one Markdown page (bench/results.md), with the machine, and
issue 11's targets judged against the run itself.

How AWS calls are held to the targets: in envelope mode the Lambda signs, so every call
counts; in kms mode each JWT a request issues is exactly one kms:Sign (the private key
never leaves KMS), so kms mode's figure is envelope mode's plus one Sign per JWT, and the
targets are held on the calls besides those Signs (client_credentials' "1 in kms mode" is
its one Sign).
"""

from __future__ import annotations

import datetime
import os
import platform
from typing import Any


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if "model name" in line)
    except (OSError, StopIteration):
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}, {datetime.date.today().isoformat()}"
    )


# Issue 11's targets: AWS calls of a warm request besides one kms:Sign per JWT it issues;
# CPU at most this many times the peer's and the floor's; cold start at most this times a
# bare `import boto3`.
CALL_TARGETS = {
    "client_credentials": 0,
    "authorization_code exchange": 3,
    "refresh_token": 2,
    "device poll, pending": 2,
}
PEER_TARGET, FLOOR_TARGET, COLD_TARGET = 0.5, 5.0, 1.3
YARDSTICK = "bare import boto3"
SIDES = ("test client", "server entry")


def _side_by_side(r: dict[str, Any]) -> list[str]:
    s = r["side_by_side"]
    rows = [
        "| envelope mode, ES256, interleaved | through the test client | at the server entry |",
        "|---|---:|---:|",
    ]
    for who, label in (("gatehouse", "Gatehouse (Chalice)"), ("peer", "Authlib peer (Flask)")):
        rows.append(
            f"| {label}, µs | {s[f'{who}, test client']:,.0f} | {s[f'{who}, server entry']:,.0f} |"
        )
    rows.append(f"| PyJWT floor, µs | {s['floor']:,.0f} | {s['floor']:,.0f} |")
    peer = [ratio(s, side, "peer") for side in SIDES]
    floor = [ratio(s, side, "floor") for side in SIDES]
    rows.append(f"| Gatehouse / peer (target ≤ {PEER_TARGET}) | {peer[0]:.2f} | {peer[1]:.2f} |")
    rows.append(
        f"| Gatehouse / floor (target ≤ {FLOOR_TARGET:g}) | {floor[0]:.1f} | {floor[1]:.1f} |"
    )
    return rows


def ratio(s: dict[str, float], side: str, to: str) -> float:
    other = s["floor"] if to == "floor" else s[f"peer, {side}"]
    return s[f"gatehouse, {side}"] / other


def _cpu(r: dict[str, Any]) -> list[str]:
    peer = r["peer_authlib"]["ES256"]["cpu_us_per_token"]
    floor = {alg: v["cpu_us_per_token"] for alg, v in r["floor_pyjwt"].items()}
    rows = [
        "| what | µs CPU per token | / Authlib peer | / PyJWT floor (same alg) |",
        "|---|---:|---:|---:|",
    ]
    for name, v in r["cpu_per_token"].items():
        us = v["cpu_us_per_token"]
        alg = "ES256" if "ES256" in name else "RS256"
        rows.append(f"| Gatehouse {name} | {us:,.0f} | {us / peer:.1f} | {us / floor[alg]:.1f} |")
    rows.append(
        f"| Authlib peer (Flask, ES256) | {peer:,.0f} | 1.0 | {peer / floor['ES256']:.1f} |"
    )
    rows += [f"| PyJWT floor {alg} | {us:,.0f} | | 1.0 |" for alg, us in floor.items()]
    return rows


def _calls(r: dict[str, Any]) -> list[str]:
    rows = [
        "| flow | kms cold | kms warm | of which kms:Sign | envelope cold | envelope warm "
        "| target (warm, besides kms:Sign) | warm calls (kms) |",
        "|---|---:|---:|---:|---:|---:|---|---|",
    ]
    kms, env = r["aws_calls"]["kms"], r["aws_calls"]["envelope"]
    for flow in kms:
        ops = ", ".join(f"{op} {n:g}" for op, n in kms[flow]["warm_calls"].items())
        signs = kms[flow]["warm_calls"].get("kms:Sign", 0)
        target = ""
        if flow in CALL_TARGETS:
            target = f"≤ {CALL_TARGETS[flow]}: {'met' if calls_met(r, flow) else 'not met'}"
        rows.append(
            f"| {flow} | {kms[flow]['cold']} | {kms[flow]['warm']:g} | {signs:g} | "
            f"{env[flow]['cold']} | {env[flow]['warm']:g} | {target} | {ops} |"
        )
    return rows


def calls_met(r: dict[str, Any], flow: str) -> bool:
    kms, env = r["aws_calls"]["kms"][flow], r["aws_calls"]["envelope"][flow]
    besides_signs = kms["warm"] - kms["warm_calls"].get("kms:Sign", 0)
    return max(besides_signs, env["warm"]) <= CALL_TARGETS[flow]


def _cold(r: dict[str, Any]) -> list[str]:
    cold = r["cold_start"]
    yardstick = cold[YARDSTICK]["median_cpu_ms"]
    rows = [
        f"| fresh process | median CPU ms | / {YARDSTICK} | modules |",
        "|---|---:|---:|---:|",
    ]
    rows += [
        f"| {k} | {v['median_cpu_ms']} | {v['median_cpu_ms'] / yardstick:.2f} | {v['modules']} |"
        for k, v in cold.items()
    ]
    return rows


def verdicts(r: dict[str, Any]) -> list[str]:
    """Issue 11's targets, each met or not in this run."""
    s, cold = r["side_by_side"], r["cold_start"]

    def met(ok: bool) -> str:
        return "met" if ok else "not met"

    lines = []
    for side in SIDES:
        peer, floor = ratio(s, side, "peer"), ratio(s, side, "floor")
        lines.append(
            f"Target, CPU per warm token (envelope ES256, {side}): {peer:.2f}x the peer "
            f"(≤ {PEER_TARGET}: {met(peer <= PEER_TARGET)}), {floor:.1f}x the floor "
            f"(≤ {FLOOR_TARGET:g}: {met(floor <= FLOOR_TARGET)})."
        )
    calls = ", ".join(f"{flow} {met(calls_met(r, flow))}" for flow in CALL_TARGETS)
    lines.append(f"Target, warm AWS calls (besides one kms:Sign per JWT in kms mode): {calls}.")
    yardstick = cold[YARDSTICK]["median_cpu_ms"]
    for name, v in cold.items():
        if name.startswith("app + "):
            x = v["median_cpu_ms"] / yardstick
            lines.append(
                f"Target, cold start ({name}): {x:.2f}x {YARDSTICK} "
                f"(≤ {COLD_TARGET}: {met(x <= COLD_TARGET)})."
            )
    return lines


def _throughput(r: dict[str, Any]) -> list[str]:
    rows = [
        "| concurrent clients | tokens/s | p50 ms | p99 ms | errors | resets |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, v in r["throughput"].items():
        rows.append(
            f"| {name.split()[0]} | {v['tokens_per_second']} | {v['p50_ms']} | {v['p99_ms']} "
            f"| {v['errors']} | {v['resets']} |"
        )
    return rows


def _cost(r: dict[str, Any]) -> list[str]:
    rows = [
        "| per million | API Gateway | Lambda | KMS Sign | DynamoDB | Logs | total |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, v in r["cost"].items():
        cells = [
            f"${v[k]:,.2f}" if k in v else ""
            for k in ("API Gateway", "Lambda", "KMS Sign", "DynamoDB", "CloudWatch Logs")
        ]
        rows.append(f"| {name} | {' | '.join(cells)} | **${v['total']:,.2f}** |")
    return rows


def markdown(r: dict[str, Any], notes: list[str]) -> str:
    parts = [
        "# Benchmark results (`make bench`)",
        "",
        f"Machine: {machine()}. CPU and AWS calls against moto in-process, cold start "
        "against a moto server in another process; written by `python -m bench`.",
        "",
        "## CPU per client_credentials token (warm, median of rounds)",
        "",
        "Side by side (bench/side_by_side.py: taking turns round by round, in one process):",
        "",
        *_side_by_side(r),
        "",
        "Every variant (measured one after another):",
        "",
        *_cpu(r),
        "",
        "## AWS calls per request (cold: new container; warm: mean of 10)",
        "",
        *_calls(r),
        "",
        "## Cold start (alternated fresh processes, median)",
        "",
        *_cold(r),
        "",
        "## Throughput through the local stack (`make run`; client_credentials, kms mode)",
        "",
        *_throughput(r),
        "",
        "## Cost per million (AWS list prices in bench/prices.py; chart: cost.png)",
        "",
        *_cost(r),
        "",
        *[f"* {n}" for n in notes],
        "",
    ]
    return "\n".join(parts)
