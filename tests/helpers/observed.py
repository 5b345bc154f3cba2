"""What a request left behind: its JSON log lines (as CloudWatch gets them) and its EMF metrics."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class JsonLogs(logging.Handler):
    """Every `gatehouse` record, formatted when it is emitted by the Powertools formatter the
    Lambda handler uses (so the request's keys, kept in a ContextVar, are in it)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def parsed(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.lines]

    def requests(self) -> list[dict[str, Any]]:
        return [line for line in self.parsed() if line["message"] == "request"]


@contextmanager
def json_logs() -> Iterator[JsonLogs]:
    from chalicelib.observability import logger

    handler = JsonLogs()
    handler.setFormatter(logger().registered_formatter)
    gatehouse = logging.getLogger("gatehouse")
    gatehouse.addHandler(handler)
    try:
        yield handler
    finally:
        gatehouse.removeHandler(handler)


def emf(printed: str) -> list[dict[str, Any]]:
    """Each metric in the EMF lines of `printed`: namespace, name, value, dimensions."""
    found = []
    for line in printed.splitlines():
        if not line.startswith('{"_aws"'):
            continue
        blob = json.loads(line)
        (directive,) = blob["_aws"]["CloudWatchMetrics"]
        (names,) = directive["Dimensions"]
        dimensions = {name: blob[name] for name in names}
        for metric in directive["Metrics"]:
            value = blob[metric["Name"]]
            total = sum(value) if isinstance(value, list) else value
            found.append({"namespace": directive["Namespace"], "name": metric["Name"],
                          "value": total, "dimensions": dimensions})  # fmt: skip
    return found


def names(metrics: list[dict[str, Any]]) -> set[str]:
    return {metric["name"] for metric in metrics}
