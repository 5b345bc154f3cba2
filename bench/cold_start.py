"""Cold-start import cost: a fresh interpreter importing app.py and the /token route."""

from __future__ import annotations

import statistics
import subprocess
import sys
from typing import Any

RUNS = 5
SNIPPETS = {
    "import app": "import app",
    "import app + /token modules": "import app; import chalicelib.endpoints.token",
}
PROBE = (
    "import sys, time; t = time.perf_counter(); {code}; "
    "print(time.perf_counter() - t, len(sys.modules))"
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
    results = {}
    for name, code in SNIPPETS.items():
        samples = [_measure(code) for _ in range(RUNS)]
        results[name] = {
            "median_ms": round(statistics.median(s[0] for s in samples) * 1000, 1),
            "modules": samples[0][1],
        }
    return results
