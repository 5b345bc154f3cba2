"""Every bad token request gets its RFC 6749 §5.2 error and status, never a 500."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

import pytest

from tests.helpers.forms import FORM, basic, post_form

GRANT = {"grant_type": "client_credentials"}


def error_of(response) -> str:
    body = json.loads(response.body)
    assert set(body) <= {"error", "error_description"}
    return body["error"]


def test_unknown_client_is_invalid_client_401_with_basic_challenge(http, aws):
    response = post_form(http, "/token", GRANT, basic("nobody", "secret"))
    assert response.status_code == 401
    assert error_of(response) == "invalid_client"
    assert response.headers["WWW-Authenticate"].startswith("Basic ")


def test_wrong_secret_is_invalid_client_401(http, make_client):
    client, _ = make_client()
    response = post_form(http, "/token", GRANT, basic(client.client_id, "wrong"))
    assert (response.status_code, error_of(response)) == (401, "invalid_client")


def test_wrong_secret_by_post_is_invalid_client_400_without_challenge(http, make_client):
    client, _ = make_client(auth_method="client_secret_post")
    form = {**GRANT, "client_id": client.client_id, "client_secret": "wrong"}
    response = post_form(http, "/token", form)
    assert (response.status_code, error_of(response)) == (400, "invalid_client")
    assert "WWW-Authenticate" not in response.headers


def test_both_authentication_methods_at_once_is_invalid_request(http, make_client):
    client, secret = make_client()
    form = {**GRANT, "client_id": client.client_id, "client_secret": secret}
    response = post_form(http, "/token", form, basic(client.client_id, secret))
    assert (response.status_code, error_of(response)) == (400, "invalid_request")


def test_method_other_than_registered_is_refused(http, make_client):
    client, secret = make_client()  # registered for client_secret_basic
    form = {**GRANT, "client_id": client.client_id, "client_secret": secret}
    assert error_of(post_form(http, "/token", form)) == "invalid_client"


def test_no_client_authentication_is_invalid_client(http, aws):
    response = post_form(http, "/token", GRANT)
    assert (response.status_code, error_of(response)) == (401, "invalid_client")


def test_missing_grant_type_is_invalid_request(http, make_client):
    client, secret = make_client()
    response = post_form(http, "/token", {"scope": "api:read"}, basic(client.client_id, secret))
    assert (response.status_code, error_of(response)) == (400, "invalid_request")


def test_unsupported_grant_type(http, make_client):
    client, secret = make_client()
    form = {"grant_type": "urn:example:magic"}
    response = post_form(http, "/token", form, basic(client.client_id, secret))
    assert (response.status_code, error_of(response)) == (400, "unsupported_grant_type")


def test_grant_not_registered_for_the_client_is_unauthorized_client(http, make_client):
    client, secret = make_client(grant_types=["refresh_token"], scope="api:read")
    response = post_form(http, "/token", GRANT, basic(client.client_id, secret))
    assert (response.status_code, error_of(response)) == (400, "unauthorized_client")


@pytest.mark.parametrize("scope", ["api:admin", "api:read api:admin", 'bad"scope', "a  b"])
def test_scope_outside_the_clients_or_malformed_is_invalid_scope(http, make_client, scope):
    client, secret = make_client(scope="api:read api:write")
    response = post_form(http, "/token", {**GRANT, "scope": scope}, basic(client.client_id, secret))
    assert (response.status_code, error_of(response)) == (400, "invalid_scope")


def test_duplicate_parameters_are_invalid_request(http, make_client):
    client, secret = make_client()
    body = "grant_type=client_credentials&scope=api:read&scope=api:write"
    response = post_form(http, "/token", body, basic(client.client_id, secret))
    assert (response.status_code, error_of(response)) == (400, "invalid_request")
    assert "scope" in json.loads(response.body)["error_description"]


def test_json_body_is_refused_with_an_rfc_error(http, make_client):
    client, secret = make_client()
    headers = {"Content-Type": "application/json", **basic(client.client_id, secret)}
    response = http.post("/token", body=json.dumps(GRANT), headers=headers)
    assert response.status_code == 415
    assert error_of(response) == "invalid_request"


def test_empty_body_is_invalid_request(http, make_client):
    client, secret = make_client()
    response = http.post("/token", body=b"", headers={**FORM, **basic(client.client_id, secret)})
    assert (response.status_code, error_of(response)) == (400, "invalid_request")


def test_huge_body_is_refused_without_parsing(http, make_client):
    client, secret = make_client()
    body = "grant_type=client_credentials&pad=" + "x" * 200_000
    response = post_form(http, "/token", body, basic(client.client_id, secret))
    assert response.status_code == 413
    assert error_of(response) == "invalid_request"


@pytest.mark.parametrize("body", [b"grant_type=client_\xff\xfe", b"grant_type=%ff%fe"])
def test_non_utf8_bytes_are_invalid_request(http, make_client, body):
    client, secret = make_client()
    response = http.post("/token", body=body, headers={**FORM, **basic(client.client_id, secret)})
    assert (response.status_code, error_of(response)) == (400, "invalid_request")


@pytest.mark.parametrize(
    "authorization",
    ["Basic !!!notbase64", "Basic " + base64.b64encode(b"no-colon").decode(), "Bearer abc",
     "Basic " + base64.b64encode(b"\xff:\xfe").decode()],
)  # fmt: skip
def test_malformed_authorization_header_is_invalid_client(http, aws, authorization):
    response = post_form(http, "/token", GRANT, {"Authorization": authorization})
    assert (response.status_code, error_of(response)) == (401, "invalid_client")


def test_overlong_client_id_is_refused_without_a_lookup(http, aws):
    response = post_form(http, "/token", GRANT, basic("c" * 5000, "secret"))
    assert (response.status_code, error_of(response)) == (401, "invalid_client")


def test_get_on_token_endpoint_is_not_allowed(http, aws):
    assert http.get("/token").status_code == 405


# Found by the fuzzer (tests/fuzz/): descriptions that quote the request echoed its characters.
@pytest.mark.parametrize(
    "form",
    [
        {"grant_type": 'caf\u00e9"\\\x1b'},
        {"grant_type": "client_credentials", "\u00e9\x01": "a", "scope": "x"},
    ],
)
def test_error_description_holds_only_the_characters_rfc_6749_allows(http, make_client, form):
    client, secret = make_client()
    body = "&".join(f"{quote(k)}={quote(v)}" for k, v in form.items())
    if "scope" in form:
        body += "&" + quote("\u00e9\x01") + "=b"  # the same odd name twice
    response = http.post(
        "/token", body=body, headers={**FORM, **basic(client.client_id, secret or "")}
    )
    assert response.status_code == 400
    description = json.loads(response.body)["error_description"]
    assert all(" " <= c <= "~" and c not in '"\\' for c in description), description
