"""Where a warm token's CPU goes: pyinstrument over client_credentials tokens at the Lambda
handler (envelope mode, ES256, the request already an API Gateway event), as a tree.

`python -m bench.profile [tokens]` prints it; not part of `make bench`, since a profiler
slows Python code more than the C it calls (the signature looks cheaper than it is).
"""

from __future__ import annotations

import contextlib
import os
import sys

from pyinstrument import Profiler

from bench.harness import stack
from bench.side_by_side import _gatehouse_handler


def profile(tokens: int = 3000) -> str:
    with stack("envelope", "ES256") as (_, headers):
        token = _gatehouse_handler(headers)
        with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
            for _ in range(100):
                token()
            profiler = Profiler(interval=0.0002)
            profiler.start()
            for _ in range(tokens):
                token()
            profiler.stop()
    return profiler.output_text(unicode=True, color=False, time="percent_of_total")


if __name__ == "__main__":
    print(profile(int(sys.argv[1]) if len(sys.argv) > 1 else 3000))
