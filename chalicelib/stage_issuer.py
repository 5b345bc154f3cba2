"""The issuer of a deployed stage whose `ISSUER` is not set yet: the URL it was called at.

`chalice deploy` creates the REST API and only then is its URL known, so a first deployment
has no `ISSUER` until `make deploy` pins it (seconds later; with a custom domain it is known,
and pinned, before). Rather than answer 500 in between, each request's issuer is the
`https://` URL API Gateway received it on: `requestContext.domainName` (the execute-api
host or a custom domain mapped to this API; API Gateway routes only those to us) and the
base path, `requestContext.path` minus the route's `path` (`/api` on execute-api, the base
path mapping on a custom domain). Never a client header such as Host or X-Forwarded-Host.
Pinning still matters: a derived issuer follows whichever of two hostnames was called.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from chalicelib.config import get_settings, request_issuer

logger = logging.getLogger("gatehouse")
_announced: set[str] = set()


def derive(event: dict[str, Any]) -> str:
    """`https://domainName/basePath` of an API Gateway REST proxy event, or "" without one."""
    context = event.get("requestContext") or {}
    domain, full_path = context.get("domainName"), context.get("path")
    route_path = event.get("path") or ""
    if not isinstance(domain, str) or not domain:
        return ""
    if isinstance(full_path, str) and full_path.endswith(route_path):
        base_path = full_path[: len(full_path) - len(route_path)].rstrip("/")
    else:  # an encoding API Gateway did not mirror: fall back to the default mapping
        base_path = f"/{context.get('stage')}" if ".execute-api." in domain else ""
    return f"https://{domain}{base_path}"


def middleware(request: Any, get_response: Callable[[Any], Any]) -> Any:
    """Chalice HTTP middleware: run the request with its derived issuer when none is set."""
    if get_settings().configured_issuer:
        return get_response(request)
    issuer = derive(request.to_original_event())
    if issuer and issuer not in _announced:
        _announced.add(issuer)
        logger.warning("ISSUER is not set; using %s from the API Gateway request context", issuer)
    token = request_issuer.set(issuer)
    try:
        return get_response(request)
    finally:
        request_issuer.reset(token)
