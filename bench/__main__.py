"""Run every benchmark and print the figures as JSON."""

from __future__ import annotations

import json

from bench import aws_calls, cold_start, cpu_per_token


def main() -> None:
    report = {
        "aws_calls": aws_calls.run(),
        "cpu_per_token": cpu_per_token.run(),
        "cold_start": cold_start.run(),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
