"""The device authorization endpoint, RFC 8628 §3.1-3.2, as a straight line of steps.

parse form -> authenticate client (as at /token; public clients with `none`) -> within
the client's quota (records/quotas.py: per client, a public one per source too; 429 past
it) -> client registered for the device grant -> scope within the client's -> resources
(RFC 8707 §2) within the client's, else invalid_target -> new device code -> no-store JSON.
Decisions: an omitted scope means the client's registered scope (no resource:
DEFAULT_AUDIENCE); `verification_uri_complete` carries the user code so a QR code can
prefill the page.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from chalice import Response
from chalice.app import Request

from chalicelib.config import get_settings
from chalicelib.grants import device_code
from chalicelib.grants.common import granted_resources, resolve_scope
from chalicelib.http import form_params, json_response
from chalicelib.records import device_codes, quotas
from chalicelib.tokens import client_authentication


def handle(request: Request) -> Response:
    params = form_params(request)
    client = client_authentication.authenticate(request, params)
    quotas.admit(quotas.DEVICE_AUTHORIZATION, client, params.source_ip)
    client.require_grant(device_code.GRANT_TYPE)
    scope = resolve_scope(params.get("scope"), client.scopes, default=client.scope)
    resources = granted_resources(params, client)
    started = device_codes.start(client, scope, resources)
    return json_response(response_body(started))


def response_body(started: device_codes.Started) -> dict[str, Any]:
    verification_uri = f"{get_settings().issuer}/device"
    return {
        "device_code": started.device_code,
        "user_code": started.user_code,
        "verification_uri": verification_uri,
        "verification_uri_complete": (
            f"{verification_uri}?{urlencode({'user_code': started.user_code})}"
        ),
        "expires_in": started.expires_in,
        "interval": started.interval,
    }
