"""API Gateway REST proxy events, shaped as API Gateway sends them to a Lambda handler.

The stage is in `requestContext` (`stage`, and `path` with the base path in front), never in
the top-level `path`. Used by the derived-issuer tests and by the deploy rehearsal, which
feeds these to the packaged artifact's handler.
"""

from __future__ import annotations

import base64
import itertools
import uuid
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

EXECUTE_API = "abc123defg.execute-api.eu-west-1.amazonaws.com"
_counter = itertools.count(1)


def rest_event(
    method: str,
    path: str,
    *,
    form: dict[str, str] | None = None,
    body: str | None = None,
    headers: dict[str, str] | None = None,
    domain: str = EXECUTE_API,
    stage: str = "api",
    base_path: str | None = None,
    source_ip: str = "203.0.113.7",
) -> dict[str, Any]:
    """A REST proxy event for `path` (which may carry a query string)."""
    parts = urlsplit(path)
    query = dict(parse_qsl(parts.query, keep_blank_values=True)) or None
    all_headers = {"Host": domain, "User-Agent": "rehearsal", **(headers or {})}
    if form is not None:
        body = urlencode(form)
        all_headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
    prefix = f"/{stage}" if base_path is None else base_path
    resource = parts.path
    return {
        "resource": resource,
        "path": parts.path,
        "httpMethod": method,
        "headers": all_headers,
        "multiValueHeaders": {k: [v] for k, v in all_headers.items()},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in (query or {}).items()} or None,
        "pathParameters": None,
        "stageVariables": None,
        "body": body,
        "isBase64Encoded": False,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": method,
            "path": prefix + parts.path,
            "stage": stage,
            "domainName": domain,
            "requestId": str(uuid.uuid4()),
            "requestTimeEpoch": next(_counter),
            "identity": {"sourceIp": source_ip, "userAgent": "rehearsal"},
            "protocol": "HTTP/1.1",
            "apiId": domain.split(".")[0],
        },
    }


def lambda_context() -> Any:
    from types import SimpleNamespace

    return SimpleNamespace(
        aws_request_id=str(uuid.uuid4()),
        function_name="gatehouse-dev",
        memory_limit_in_mb=1024,
        invoked_function_arn="arn:aws:lambda:eu-west-1:123456789012:function:gatehouse-dev",
        get_remaining_time_in_millis=lambda: 10_000,
    )


def body_text(response: dict[str, Any]) -> str:
    body = response.get("body") or ""
    return base64.b64decode(body).decode() if response.get("isBase64Encoded") else body


def header(response: dict[str, Any], name: str) -> str | None:
    for key, values in (response.get("multiValueHeaders") or {}).items():
        if key.lower() == name.lower():
            return values[0]
    for key, value in (response.get("headers") or {}).items():
        if key.lower() == name.lower():
            return value
    return None


def set_cookies(response: dict[str, Any]) -> dict[str, str]:
    """name -> value of every Set-Cookie in a proxy response."""
    found: dict[str, str] = {}
    multi = response.get("multiValueHeaders") or {}
    lines = [v for k, vs in multi.items() if k.lower() == "set-cookie" for v in vs]
    single = (response.get("headers") or {}).get("Set-Cookie")
    for line in lines or ([single] if single else []):
        cookie = SimpleCookie()
        cookie.load(line)
        found.update({name: morsel.value for name, morsel in cookie.items()})
    return found
