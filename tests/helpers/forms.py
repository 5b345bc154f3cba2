"""Sending forms to the Chalice test client, and the credentials tests use."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import urlencode

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
PASSWORD = "correct horse battery"


def basic(client_id: str, secret: str) -> dict[str, str]:
    raw = f"{client_id}:{secret}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def post_form(
    http: Any, path: str, data: dict[str, str] | str, headers: dict[str, str] | None = None
) -> Any:
    body = data if isinstance(data, str) else urlencode(data)
    return http.post(path, body=body, headers={**FORM, **(headers or {})})
