"""Cold start: the CPU a fresh interpreter spends importing app.py and one route's modules,
beside a bare `import boto3` as the yardstick, alternated so all see the same machine."""

from __future__ import annotations

import statistics
import subprocess
import sys
from typing import Any

RUNS = 15
SNIPPETS = {
    "bare import boto3": "import boto3",
    "app + /token modules": "import app; import chalicelib.endpoints.token",
    "app + /login modules": "import app; import chalicelib.endpoints.login",
}
PROBE = (
    "import sys, time; t = time.process_time(); {code}; "
    "print(time.process_time() - t, len(sys.modules))"
)


def _measure(code: str) -> tuple[float, int]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(code=code)],
        capture_output=True,
        text=True,
        check=True,
        env={"ISSUER": "https://bench.test", "AWS_DEFAULT_REGION": "us-east-1", "PATH": ""},
    ).stdout.split()
    return float(out[0]), int(out[1])


def run() -> dict[str, Any]:
    samples: dict[str, list[tuple[float, int]]] = {name: [] for name in SNIPPETS}
    for _ in range(RUNS):
        for name, code in SNIPPETS.items():
            samples[name].append(_measure(code))
    return {
        name: {
            "median_cpu_ms": round(statistics.median(s[0] for s in runs) * 1000, 1),
            "modules": runs[0][1],
        }
        for name, runs in samples.items()
    }
