"""The token endpoint, RFC 6749 §3.2, as a straight line of named steps.

parse form (duplicates rejected) -> authenticate client -> within the client's quota
(records/quotas.py, 429 past it) -> grant type supported -> grant type allowed for this
client -> the grant -> no-store JSON response (§5.1).
The request's log line names the grant_type; a grant that answers counts TokensIssued.
"""

from __future__ import annotations

from types import ModuleType

from chalice import Response
from chalice.app import Request

from chalicelib import observability
from chalicelib.errors import UnsupportedGrantType
from chalicelib.grants import GRANTS
from chalicelib.http import form_params, json_response
from chalicelib.records import quotas
from chalicelib.tokens import client_authentication


def handle(request: Request) -> Response:
    params = form_params(request)
    client = client_authentication.authenticate(request, params)
    quotas.admit(quotas.TOKEN, client, params.source_ip)
    grant_type = params.require("grant_type")
    observability.note(grant_type=grant_type)
    grant = supported_grant(grant_type)
    client.require_grant(grant_type)
    body = grant.handle(params, client)
    observability.count(observability.TOKENS_ISSUED, grant_type=grant_type)
    return json_response(body)


def supported_grant(grant_type: str) -> ModuleType:
    grant = GRANTS.get(grant_type)
    if grant is None:
        raise UnsupportedGrantType(f"Unsupported grant_type: {grant_type[:80]}")
    return grant
