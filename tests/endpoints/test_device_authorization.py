"""POST /device_authorization (RFC 8628 §3.1-3.2) through the Chalice app against moto."""

from __future__ import annotations

import json
import re
import secrets
from urllib.parse import parse_qs, urlsplit

from tests.helpers.device import DEVICE_GRANT, start_flow
from tests.helpers.forms import basic, post_form

USER_CODE = re.compile(r"^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$")


def test_response_carries_every_rfc8628_field_and_is_never_cached(http, device_client):
    response = post_form(http, "/device_authorization", {"client_id": device_client.client_id})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = json.loads(response.body)
    assert USER_CODE.match(body["user_code"])
    assert body["verification_uri"] == "https://auth.test/device"
    complete = urlsplit(body["verification_uri_complete"])
    assert complete._replace(query="").geturl() == "https://auth.test/device"
    assert parse_qs(complete.query) == {"user_code": [body["user_code"]]}
    assert body["expires_in"] == 600 and body["interval"] == 5


def test_device_code_has_256_bits_and_is_stored_only_as_its_sha256(http, device_client):
    from chalicelib.models import DeviceCodeModel
    from chalicelib.opaque import sha256_hex

    body = start_flow(http, device_client.client_id)
    assert len(body["device_code"]) >= 43  # 32 bytes, base64url
    stored = list(DeviceCodeModel.scan())
    assert [r.device_code_hash for r in stored] == [sha256_hex(body["device_code"])]
    assert body["device_code"] not in json.dumps([r.attribute_values for r in stored], default=str)
    assert stored[0].user_code == body["user_code"].replace("-", "")
    assert stored[0].status == "pending" and stored[0].client_id == device_client.client_id


def test_omitted_scope_means_the_clients_registered_scope(http, device_client):
    from chalicelib.records.device_codes import find_pending

    body = start_flow(http, device_client.client_id)
    assert find_pending(body["user_code"].replace("-", "")).scope == "openid api:read"


def test_requested_scope_narrows_the_grant(http, device_client):
    from chalicelib.records.device_codes import find_pending

    body = start_flow(http, device_client.client_id, scope="api:read")
    assert find_pending(body["user_code"].replace("-", "")).scope == "api:read"


def test_scope_outside_the_clients_is_invalid_scope(http, device_client):
    form = {"client_id": device_client.client_id, "scope": "api:read admin"}
    response = post_form(http, "/device_authorization", form)
    assert response.status_code == 400
    assert json.loads(response.body)["error"] == "invalid_scope"


def test_client_not_registered_for_the_device_grant_is_unauthorized_client(http, make_client):
    client, _ = make_client(name="Web", grant_types=["refresh_token"], public=True)
    response = post_form(http, "/device_authorization", {"client_id": client.client_id})
    assert response.status_code == 400
    assert json.loads(response.body)["error"] == "unauthorized_client"


def test_unknown_client_is_invalid_client(http, aws):
    response = post_form(http, "/device_authorization", {"client_id": "nobody"})
    assert json.loads(response.body)["error"] == "invalid_client"


def test_confidential_client_authenticates_as_at_the_token_endpoint(http, make_client):
    client, secret = make_client(name="CLI", grant_types=[DEVICE_GRANT], scope="api:read")
    ok = post_form(http, "/device_authorization", {}, basic(client.client_id, secret))
    assert ok.status_code == 200
    bad = post_form(http, "/device_authorization", {}, basic(client.client_id, "wrong"))
    assert bad.status_code == 401 and "WWW-Authenticate" in bad.headers
    no_secret = post_form(http, "/device_authorization", {"client_id": client.client_id})
    assert json.loads(no_secret.body)["error"] == "invalid_client"


def test_a_live_user_code_is_never_handed_out_twice(http, device_client, monkeypatch):
    # Given the random source yields BBBBBBBB twice, then CCCCCCCC
    script = iter("B" * 16 + "C" * 8)
    monkeypatch.setattr(secrets, "choice", lambda alphabet: next(script))
    first = start_flow(http, device_client.client_id)
    second = start_flow(http, device_client.client_id)
    assert first["user_code"] == "BBBB-BBBB"
    assert second["user_code"] == "CCCC-CCCC"


def test_discovery_advertises_the_endpoint_and_the_grant_type(http, aws):
    metadata = json.loads(http.get("/.well-known/openid-configuration").body)
    assert metadata["device_authorization_endpoint"] == "https://auth.test/device_authorization"
    assert DEVICE_GRANT in metadata["grant_types_supported"]
