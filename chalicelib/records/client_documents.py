"""Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document §3-§4): a
client_id that is an `https` URL names its own metadata, fetched on first use.

Decisions where the draft leaves a choice:
* The document is fetched through outbound.py (https only, public addresses only, no
  redirects, `CLIENT_DOCUMENT_MAX_BYTES` (5 KiB, the draft's advice), cached by its HTTP
  caching headers within bounds); in the `local` stage `http://127.0.0.1:PORT/...` too.
* Its `client_id` must equal the URL exactly (§4.1); its `redirect_uris` govern the request.
* It gets exactly what open dynamic registration would (records/dynamic_registration.py,
  validated by the same code): a public client (`none`) for the code flow with PKCE S256,
  `https` or loopback redirect URIs, the open resources and their scopes. Nothing is stored.
* A document that cannot be had or breaks a rule makes the client_id unknown: /authorize
  shows its error page (never a redirect), /token answers invalid_client. Why is logged.
* Consent names the URL's host, the only thing about such a client anyone has verified.
"""

from __future__ import annotations

import logging

from chalicelib import outbound
from chalicelib.config import get_settings
from chalicelib.errors import InvalidClientMetadata
from chalicelib.models import ClientModel
from chalicelib.records.client_records import Client, from_record
from chalicelib.records.registration_policy import DOCUMENT, typed, validated

logger = logging.getLogger("gatehouse")


def resolve(url: str) -> Client | None:
    """The client a metadata document describes, or None (see the module docstring)."""
    try:
        document = outbound.fetch_json(url, get_settings().client_document_max_bytes)
        if document.get("client_id") != url:
            raise InvalidClientMetadata("the document's client_id is not its URL")
        meta = validated(typed(document), DOCUMENT)
    except (outbound.FetchError, InvalidClientMetadata) as exc:
        logger.info("client metadata document refused: %s", exc)
        return None
    return from_record(ClientModel(client_id=url, **meta))
