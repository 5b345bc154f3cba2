"""The benchmarks' figures as one Markdown page (bench/results.md), with the machine."""

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
        "| flow | kms cold | kms warm | envelope cold | envelope warm | warm calls (kms) |",
        "|---|---:|---:|---:|---:|---|",
    ]
    kms, env = r["aws_calls"]["kms"], r["aws_calls"]["envelope"]
    for flow in kms:
        ops = ", ".join(f"{op} {n:g}" for op, n in kms[flow]["warm_calls"].items())
        rows.append(
            f"| {flow} | {kms[flow]['cold']} | {kms[flow]['warm']:g} | "
            f"{env[flow]['cold']} | {env[flow]['warm']:g} | {ops} |"
        )
    return rows


def _cold(r: dict[str, Any]) -> list[str]:
    rows = ["| fresh process | median CPU ms | modules |", "|---|---:|---:|"]
    rows += [f"| {k} | {v['median_cpu_ms']} | {v['modules']} |" for k, v in r["cold_start"].items()]
    return rows


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
        f"Machine: {machine()}. Against moto in-process; written by `python -m bench`.",
        "",
        "## CPU per client_credentials token (warm, median of rounds)",
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
