"""AWS faults injected at the botocore layer (a before-call handler on the real client),
so our code runs unchanged down to the AWS SDK."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.awsrequest import AWSResponse


@contextmanager
def aws_fault(client: Any, operation: str, code: str, status: int = 400) -> Iterator[list[str]]:
    calls: list[str] = []

    def fail(**_: Any) -> tuple[Any, dict[str, Any]]:
        calls.append(operation)
        error = {"Error": {"Code": code, "Message": "injected"}}
        return AWSResponse("https://fault", status, {}, None), {
            **error,
            "ResponseMetadata": {"HTTPStatusCode": status},
        }

    event = f"before-call.{client.meta.service_model.service_name}.{operation}"
    client.meta.events.register(event, fail)
    try:
        yield calls
    finally:
        client.meta.events.unregister(event, fail)
