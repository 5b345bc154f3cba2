"""Cost per million tokens on AWS list prices (bench/prices.py), for client_credentials and
a code-flow sign-in, in both signing modes, beside Cognito's machine-to-machine price; and
the chart of it (bench/cost.png). Marginal cost only: keys, alarms and metrics are a fixed
~$7 a month whatever the volume (README, "What it costs a month").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench import prices as p

READS = ("GetItem", "Query", "Scan", "BatchGetItem")


def _dynamodb(warm_calls: dict[str, float]) -> tuple[float, float]:
    """(reads, writes) per request from the AWS-calls benchmark's warm tally."""
    reads = sum(n for op, n in warm_calls.items() if op.startswith("dynamodb:") and op[9:] in READS)
    writes = sum(n for op, n in warm_calls.items() if op.startswith("dynamodb:")) - reads
    return reads, writes


def per_million(
    mode: str, alg: str, api: int, signs: float, reads: float, writes: float
) -> dict[str, float]:
    """USD per million of a unit of work made of `api` requests, `signs` KMS Sign calls..."""
    sign_price = p.KMS_SIGN_RSA_PER_10K if alg == "RS256" else p.KMS_SIGN_ECC_PER_10K
    lines = {
        "API Gateway": api * p.API_GATEWAY_REST_PER_MILLION,
        "Lambda": api
        * (
            p.LAMBDA_REQUESTS_PER_MILLION
            + p.LAMBDA_MS[mode] / 1000 * p.LAMBDA_MEMORY_GB * p.LAMBDA_GB_SECOND * 1e6
        ),
        "KMS Sign": (signs if mode == "kms" else 0) * sign_price * 100,
        "DynamoDB": reads * p.DYNAMODB_READ_PER_MILLION + writes * p.DYNAMODB_WRITE_PER_MILLION,
        "CloudWatch Logs": api * p.LOG_KB_PER_REQUEST / 1024 / 1024 * p.LOGS_PER_GB * 1e6,
    }
    return {k: round(v, 2) for k, v in lines.items()} | {"total": round(sum(lines.values()), 2)}


# ACCESS_TOKEN_ALG's defaults (README, Which algorithm): RS256 where KMS bills each Sign.
DEFAULT_ALG = {"kms": "RS256", "envelope": "ES256"}


def run(aws_calls: dict[str, Any] | None = None) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for mode, alg in DEFAULT_ALG.items():
        warm = (aws_calls or {}).get(mode, {}).get("client_credentials", {}).get("warm_calls")
        # measured when given (an empty tally is zero calls); else a quota write per 10 tokens
        reads, writes = _dynamodb(warm) if warm is not None else (0.0, 0.1)
        table[f"client_credentials, {mode} {alg}"] = per_million(mode, alg, 1, 1, reads, writes)
        flow = p.CODE_FLOW
        table[f"code-flow sign-in, {mode} {alg}"] = per_million(
            mode,
            alg,
            flow["api_requests"],
            flow["signs"],
            flow["dynamodb_reads"],
            flow["dynamodb_writes"],
        )
    table["Cognito M2M (client_credentials), as published"] = {
        "total": round(p.COGNITO_M2M_PER_THOUSAND * 1000, 2)
    }
    return table


def chart(table: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(table)
    totals = [table[n]["total"] for n in names]
    figure, axes = plt.subplots(figsize=(9, 4.5))
    bars = axes.barh(names, totals, color=["#4c72b0"] * (len(names) - 1) + ["#c44e52"])
    axes.bar_label(bars, labels=[f"${t:,.2f}" for t in totals], padding=3)
    axes.set_xscale("log")
    axes.set_xlabel("USD per million (log scale), AWS us-east-1 list prices")
    axes.set_title("Gatehouse: marginal cost per million tokens / sign-ins")
    axes.invert_yaxis()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
