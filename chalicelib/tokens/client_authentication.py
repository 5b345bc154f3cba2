"""Which way a client authenticates (RFC 6749 §2.3, RFC 7521 §4.2): exactly one method per
request. A `client_assertion` (private_key_jwt) is checked by tokens/client_assertions.py,
imported only when one is sent; secrets and public clients by records/clients.py."""

from __future__ import annotations

from chalice.app import Request

from chalicelib import observability
from chalicelib.errors import InvalidRequest
from chalicelib.http import Params, basic_credentials
from chalicelib.records import clients
from chalicelib.records.client_records import Client


def authenticate(request: Request, params: Params) -> Client:
    if "client_assertion" not in params and "client_assertion_type" not in params:
        return clients.authenticate(request, params)
    observability.note(client_id=params.get("client_id"))
    if basic_credentials(request) or "client_secret" in params:
        raise InvalidRequest("Use exactly one client authentication method")
    from chalicelib.tokens import client_assertions

    return client_assertions.authenticate(params)
