"""Schemathesis against a running stack: no 5xx, and every answer is one openapi.yaml describes.

One test per operation of the document, with Basic credentials of a real client, a real
bearer token and a signed-in session, so generated requests reach past authentication.
Checks: not_a_server_error, and the status code, content type, headers and body schema of
every response. Bounded: FUZZ_EXAMPLES generated requests per operation (default 20), the
same ones every run (derandomized) unless FUZZ_RANDOM=1; the coverage phase adds the
schema's boundary cases.
"""

from __future__ import annotations

import os
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.fuzz.conftest import REDIRECT_URI, Target

# Where a generated request names a client (and has an even number of fields: about half
# of them), it names the real one, so
# /authorize, /consent and /logout get past client_redirect to the checks behind it.
CLIENT_NAMING = {"/authorize", "/consent", "/logout"}
ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "20"))
RANDOM = os.environ.get("FUZZ_RANDOM") == "1"

schema = schemathesis.openapi.from_path(
    ROOT / "openapi.yaml",
    config=SchemathesisConfig.from_dict(
        {
            "phases": {
                "stateful": {"enabled": False},
                # Methods app.py has no route for are answered by API Gateway (chalice
                # local's HTTP server in tests), not by us: outside the document.
                "coverage": {"unexpected-methods": [], "generate-duplicate-query-parameters": True},
            }
        }
    ),
)
CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not RANDOM,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_answer_conforms_to_the_document(case, target: Target) -> None:
    headers = {}
    security = case.operation.definition.raw.get("security") or []
    if {"clientBasic": []} in security:
        auth = (target.client_id, target.client_secret)
    else:
        auth = None
        if {"bearer": []} in security and "authorization" not in {
            k.lower() for k in (case.headers or {})
        }:
            headers["Authorization"] = f"Bearer {target.access_token}"
    _aim_at_the_real_client(case, target)
    case.call_and_validate(
        base_url=target.stack.issuer,
        checks=CHECKS,
        headers=headers,
        auth=auth,
        cookies=target.cookies,
        allow_redirects=False,
        timeout=30,
    )


def _aim_at_the_real_client(case, target: Target) -> None:
    if case.operation.path not in CLIENT_NAMING:
        return
    for fields in (case.query, case.body):
        if isinstance(fields, dict) and "client_id" in fields and len(fields) % 2 == 0:
            fields["client_id"] = target.client_id
            if "redirect_uri" in fields:
                fields["redirect_uri"] = REDIRECT_URI
