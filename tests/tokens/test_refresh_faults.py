"""AWS faults during a refresh: 503 with Retry-After, and the client keeps its grant.

Faults are injected at the botocore layer (a before-call hook), never in our code.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import ClientError

from tests.helpers.tokens import App, body, offline_tokens, refresh


@contextmanager
def failing(client: Any, operation: str) -> Iterator[None]:
    event = f"before-call.{client.meta.service_model.endpoint_prefix}.{operation}"

    def throttle(**_: Any) -> None:
        error = {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}
        raise ClientError(error, operation)

    client.meta.events.register(event, throttle)
    try:
        yield
    finally:
        client.meta.events.unregister(event, throttle)


def test_kms_fault_during_refresh_leaves_the_refresh_token_unused(
    http: Any, user: Any, app: App
) -> None:
    from chalicelib.signing import kms

    token = offline_tokens(http, app)["refresh_token"]
    with failing(kms.client(), "Sign"):
        response = refresh(http, app, token)
    assert response.status_code == 503
    assert body(response)["error"] == "temporarily_unavailable"
    assert response.headers["Retry-After"]
    # signing comes before the rotation commits, so the retry is not reuse
    assert refresh(http, app, token).status_code == 200


def test_dynamodb_fault_in_the_rotation_transaction_leaves_the_refresh_token_unused(
    http: Any, user: Any, app: App
) -> None:
    from chalicelib.models import ClientModel

    token = offline_tokens(http, app)["refresh_token"]
    dynamodb = ClientModel._get_connection().connection.client
    with failing(dynamodb, "TransactWriteItems"):
        response = refresh(http, app, token)
    assert response.status_code == 503
    assert refresh(http, app, token).status_code == 200
