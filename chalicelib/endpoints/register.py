"""/register: RFC 7591 §3 dynamic registration, RFC 7592 §2 client configuration endpoint.

POST /register takes the client metadata as a JSON object and answers 201 with the client
information (records/dynamic_registration.py has the rules). GET, PUT and DELETE on
`/register/{client_id}` (the `registration_client_uri`) need the registration access token
as a Bearer token in the Authorization header (RFC 6750 §2.1, the only place RFC 7592
allows). Decisions: with `REGISTRATION=off` the endpoint answers 403 `access_denied` and
discovery does not advertise it; with `token`, a missing or wrong initial access token is
401 `invalid_token` with a Bearer challenge; each source (an IPv4 address or IPv6 /64) may
register `REGISTRATION_RATE_PER_SOURCE` clients an hour, counted before the metadata is read
(429 with Retry-After past it). Every answer carries `Cache-Control: no-store`.
"""

from __future__ import annotations

import json
from typing import Any

from chalice import Response
from chalice.app import Request

from chalicelib.config import get_settings
from chalicelib.errors import AccessDenied, InvalidClientMetadata, InvalidToken
from chalicelib.http import json_response, source_ip
from chalicelib.records import dynamic_registration, registration_tokens


def register(request: Request) -> Response:
    mode = get_settings().registration
    if mode == "off":
        raise AccessDenied("Dynamic client registration is not enabled", status_code=403)
    if mode == "token" and not registration_tokens.is_valid(_bearer(request)):
        raise InvalidToken("The initial access token is not valid")
    dynamic_registration.admit(source_ip(request))
    information = dynamic_registration.register(_metadata(request), mode)
    return json_response(information, status=201)


def manage(request: Request, client_id: str) -> Response:
    token = _bearer(request)
    if request.method == "GET":
        return json_response(dynamic_registration.read(client_id, token))
    if request.method == "PUT":
        return json_response(dynamic_registration.update(client_id, token, _metadata(request)))
    dynamic_registration.delete(client_id, token)
    return Response(body="", status_code=204, headers={"Cache-Control": "no-store"})


def _bearer(request: Request) -> str:
    scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidToken()
    return token.strip()


def _metadata(request: Request) -> Any:
    body = request.raw_body or b""
    if len(body) > get_settings().max_body_bytes:
        raise InvalidClientMetadata("The request body is too large")
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidClientMetadata("The request body must be a JSON object") from exc
