"""The Chalice test client's face over a packaged Lambda: pages and forms as API Gateway
events, so tests/helpers' Browser and form helpers drive the artifact unchanged."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import jwt

from tests.deploy.runtime import Function
from tests.helpers.lambda_events import EXECUTE_API, body_text, rest_event

ISSUER = f"https://{EXECUTE_API}/api"


class LambdaHttp:
    """The Chalice test client's face (get/post -> status_code, headers, body) over events."""

    def __init__(self, function: Function) -> None:
        self.function = function

    def _call(self, method: str, path: str, body: str | None, headers: dict[str, str]) -> Any:
        response = self.function.invoke(rest_event(method, path, body=body, headers=headers))
        merged: dict[str, Any] = dict(response.get("headers") or {})
        for name, values in (response.get("multiValueHeaders") or {}).items():
            merged[name] = values if name.lower() == "set-cookie" else values[-1]
        text = body_text(response)
        return SimpleNamespace(
            status_code=response["statusCode"], headers=merged, body=text.encode()
        )

    def get(self, path: str, headers: dict[str, str] | None = None) -> Any:
        return self._call("GET", path, None, headers or {})

    def post(self, path: str, body: str = "", headers: dict[str, str] | None = None) -> Any:
        return self._call("POST", path, body, headers or {})


def verify(http: LambdaHttp, token: str, audience: str) -> dict[str, Any]:
    """A token checked as a resource server would: against the JWKS this stage serves."""
    key_set = jwt.PyJWKSet.from_dict(json.loads(http.get("/jwks.json").body))
    kid = jwt.get_unverified_header(token)["kid"]
    key = next(k for k in key_set.keys if k.key_id == kid)
    return jwt.decode(
        token, key.key, algorithms=[key.algorithm_name], audience=audience, issuer=ISSUER
    )
