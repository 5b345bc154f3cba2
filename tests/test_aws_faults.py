"""AWS faults (throttling, KMS down) answer 503 temporarily_unavailable and lose nothing.

Faults are injected at the botocore layer (a before-call handler on the real client), so
our code runs unchanged down to the AWS SDK.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.awsrequest import AWSResponse

from tests.helpers.faults import aws_fault
from tests.helpers.forms import basic, post_form

GRANT = {"grant_type": "client_credentials"}


def dynamodb_client() -> Any:
    from chalicelib.models import ClientModel

    return ClientModel._get_connection().connection.client


def test_throttled_dynamodb_read_is_503_with_retry_after_and_nothing_lost(http, make_client):
    client, secret = make_client()
    with aws_fault(dynamodb_client(), "GetItem", "ProvisionedThroughputExceededException") as calls:
        response = post_form(http, "/token", GRANT, basic(client.client_id, secret))
    assert calls, "the fault was not reached"
    assert response.status_code == 503
    assert json.loads(response.body)["error"] == "temporarily_unavailable"
    assert int(response.headers["Retry-After"]) > 0
    # the same request succeeds once DynamoDB recovers
    assert post_form(http, "/token", GRANT, basic(client.client_id, secret)).status_code == 200


def test_failing_kms_sign_is_503(http, make_client):
    from chalicelib.signing import kms

    client, secret = make_client()
    with aws_fault(kms.client(), "Sign", "KMSInternalException", 500) as calls:
        response = post_form(http, "/token", GRANT, basic(client.client_id, secret))
    assert calls
    assert response.status_code == 503
    assert json.loads(response.body)["error"] == "temporarily_unavailable"
    assert post_form(http, "/token", GRANT, basic(client.client_id, secret)).status_code == 200


def test_disabled_kms_key_is_503_not_500(http, make_client):
    from chalicelib.signing import kms

    client, secret = make_client()
    with aws_fault(kms.client(), "Sign", "DisabledException"):
        response = post_form(http, "/token", GRANT, basic(client.client_id, secret))
    assert response.status_code == 503


def test_unexpected_exception_is_generic_server_error_without_internals(http, make_client, caplog):
    # A KMS answer our code cannot parse stands for any bug: a 500 that leaks nothing.
    from chalicelib.signing import kms

    client, secret = make_client()

    def garbage(**_: Any) -> tuple[Any, dict[str, Any]]:
        return AWSResponse("https://fault", 200, {}, None), {
            "Signature": "not-bytes",
            "ResponseMetadata": {"HTTPStatusCode": 200},
        }

    events = kms.client().meta.events
    events.register("before-call.kms.Sign", garbage)
    try:
        response = post_form(http, "/token", GRANT, basic(client.client_id, secret))
    finally:
        events.unregister("before-call.kms.Sign", garbage)
    body = json.loads(response.body)
    assert response.status_code == 500
    assert body == {"error": "server_error", "error_description": body["error_description"]}
    assert "Traceback" not in response.body.decode() and "not-bytes" not in response.body.decode()
    assert secret not in caplog.text


def test_throttled_first_registration_of_the_signing_key_is_503_not_500(http, make_client):
    # Given a fresh deployment: no key registered yet, so the first token registers the
    # alias's KMS key, and DynamoDB throttles that write
    from chalicelib.models import SigningKeyModel
    from chalicelib.signing import keys

    client, secret = make_client()
    for record in SigningKeyModel.scan():
        record.delete()
    keys.reset_cache()
    table = SigningKeyModel._get_connection().connection.client
    with aws_fault(table, "PutItem", "ProvisionedThroughputExceededException") as calls:
        response = post_form(http, "/token", GRANT, basic(client.client_id, secret))
    assert calls, "the fault was not reached"
    assert response.status_code == 503
    assert json.loads(response.body)["error"] == "temporarily_unavailable"
    assert post_form(http, "/token", GRANT, basic(client.client_id, secret)).status_code == 200
