"""Each request leaves one JSON log line and its metrics (EMF), through the real app."""

from __future__ import annotations

import logging
import threading
from types import SimpleNamespace
from typing import Any

import pytest

from tests.helpers.browser import Browser
from tests.helpers.device import start_flow
from tests.helpers.faults import aws_fault
from tests.helpers.forms import PASSWORD, basic, post_form
from tests.helpers.observed import emf, json_logs, names
from tests.helpers.tokens import offline_tokens, password_grant, refresh

CLIENT_CREDENTIALS = {"grant_type": "client_credentials"}


@pytest.fixture(autouse=True)
def logs() -> Any:
    # Set up before capsys swaps sys.stdout, so Powertools' handler keeps the session's stream.
    with json_logs() as logs:
        yield logs


def test_a_token_request_logs_one_line_with_route_client_grant_outcome_and_aws_calls(
    http, make_client, logs, capsys
):
    client, secret = make_client()
    post_form(http, "/token", CLIENT_CREDENTIALS, basic(client.client_id, secret))
    (line,) = logs.requests()
    assert line["message"] == "request" and line["level"] == "INFO"
    assert line["route"] == "/token" and line["method"] == "POST" and line["status"] == 200
    assert line["client_id"] == client.client_id
    assert line["grant_type"] == "client_credentials"
    assert line["outcome"] == "ok" and "error" not in line
    assert line["lambda_request_id"] and line["duration_ms"] >= 0 and line["aws_calls"] >= 1


def test_a_client_credentials_token_counts_tokens_issued_by_grant_type(http, make_client, capsys):
    client, secret = make_client()
    post_form(http, "/token", CLIENT_CREDENTIALS, basic(client.client_id, secret))
    assert emf(capsys.readouterr().out) == [
        {
            "namespace": "Gatehouse",
            "name": "TokensIssued",
            "value": 1,
            "dimensions": {"stage": "test", "grant_type": "client_credentials"},
        }
    ]


def test_aws_calls_in_the_line_agree_with_botocore_for_a_token_request(
    http, app, user, aws_calls, logs
):
    # Given a cold container (caches reset by the fixtures): counters, user, KMS, transaction
    offline_tokens(http, app)
    (line,) = logs.requests()
    assert len(aws_calls) > 3
    assert any(call.startswith("kms:") for call in aws_calls)
    assert line["aws_calls"] == len(aws_calls)


def test_an_oauth_error_is_in_the_line_and_counted_by_error_code(http, make_client, logs, capsys):
    client, secret = make_client()
    post_form(http, "/token", {"grant_type": "password"}, basic(client.client_id, secret))
    (line,) = logs.requests()
    assert line["error"] == "unauthorized_client" and line["outcome"] == "refused"
    (metric,) = emf(capsys.readouterr().out)
    assert metric["name"] == "Errors"
    assert metric["dimensions"] == {"stage": "test", "error": "unauthorized_client"}


def test_a_reused_refresh_token_counts_refresh_reuse_detected(http, app, user, capsys):
    first = offline_tokens(http, app)
    assert refresh(http, app, first["refresh_token"]).status_code == 200
    capsys.readouterr()
    assert refresh(http, app, first["refresh_token"]).status_code == 400
    metrics = emf(capsys.readouterr().out)
    assert names(metrics) == {"RefreshReuseDetected", "Errors"}
    reuse = next(m for m in metrics if m["name"] == "RefreshReuseDetected")
    assert reuse["dimensions"] == {"stage": "test"} and reuse["value"] == 1


def test_a_kms_throttle_counts_service_unavailable_and_kms_throttled(
    http, make_client, logs, capsys
):
    from chalicelib.signing import kms

    client, secret = make_client()
    with aws_fault(kms.client(), "Sign", "ThrottlingException") as calls:
        response = post_form(http, "/token", CLIENT_CREDENTIALS, basic(client.client_id, secret))
    assert calls and response.status_code == 503
    metrics = {m["name"]: m for m in emf(capsys.readouterr().out)}
    assert set(metrics) == {"ServiceUnavailable", "KmsThrottled", "Errors"}
    assert metrics["KmsThrottled"]["dimensions"] == {"stage": "test"}
    assert metrics["Errors"]["dimensions"]["error"] == "temporarily_unavailable"
    assert logs.requests()[-1]["outcome"] == "unavailable"


def test_a_wrong_user_code_counts_and_warns_in_json_with_the_request_id(
    http, user, device_client, logs, capsys
):
    start_flow(http, device_client.client_id)
    browser = Browser(http)
    browser.login("alice", PASSWORD, return_to="/device")
    capsys.readouterr()
    page = browser.submit(browser.get("/device"), user_code="BBBB-BBBB")
    assert page.status_code == 400
    (metric,) = [m for m in emf(capsys.readouterr().out) if m["name"] != "Errors"]
    assert metric["name"] == "WrongUserCodes" and metric["dimensions"] == {"stage": "test"}
    warnings = [line for line in logs.parsed() if line["level"] == "WARNING"]
    assert warnings and warnings[0]["message"].startswith("wrong user code")
    assert warnings[0]["lambda_request_id"] == logs.requests()[-1]["lambda_request_id"]


def test_a_password_attempt_refused_by_the_limit_counts_a_lockout(
    http, app, user, settings_env, capsys, clock
):
    settings_env(PASSWORD_BACKOFF_AFTER="2")
    for _ in range(2):
        assert password_grant(http, app, password="wrong-password").status_code == 400
    assert "Lockouts" not in names(emf(capsys.readouterr().out))
    assert password_grant(http, app).status_code == 400  # right password, but locked
    assert "Lockouts" in names(emf(capsys.readouterr().out))


def test_a_request_with_nothing_to_count_prints_no_metrics(http, logs, capsys):
    assert http.get("/jwks.json").status_code == 200
    assert emf(capsys.readouterr().out) == []
    assert logs.requests()[0]["route"] == "/jwks.json"


def test_the_gatehouse_logger_is_at_log_level_info_by_default_not_chalices_error(http):
    from chalicelib.config import get_settings

    http.get("/jwks.json")
    assert get_settings().log_level == "INFO"
    assert logging.getLogger("gatehouse").getEffectiveLevel() == logging.INFO


def test_threads_serving_at_once_keep_their_own_notes(logs):
    from chalice import Response

    from chalicelib import observability

    both_inside = threading.Barrier(2)

    def view(client_id: str) -> Any:
        def respond(_: Any) -> Response:
            observability.note(client_id=client_id)
            both_inside.wait(timeout=5)
            observability.aws_call()
            return Response("", status_code=204)

        return respond

    def serve(client_id: str) -> None:
        request = SimpleNamespace(context={}, method="GET", lambda_context=None)
        observability.observe(request, view(client_id))

    threads = [threading.Thread(target=serve, args=(name,)) for name in ("one", "two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lines = logs.requests()
    assert sorted(line["client_id"] for line in lines) == ["one", "two"]
    assert [line["aws_calls"] for line in lines] == [1, 1]
