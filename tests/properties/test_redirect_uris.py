"""Redirect URIs: any string is matched or not (never an exception) against a client's
registered URIs, and registration accepts a URI or refuses it with invalid_redirect_uri."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import example, given
from hypothesis import strategies as st

from chalicelib.errors import InvalidClientMetadata
from chalicelib.records.clients import Client, match_redirect_uri
from chalicelib.records.registration import _check_redirect_uri

REGISTERED = ("https://app.example/cb", "http://127.0.0.1:8080/cb", "http://[::1]/cb?x=1")
CLIENT = Client(
    client_id="c", name="c", secret_hash=None, redirect_uris=REGISTERED,
    post_logout_redirect_uris=(), grant_types=("authorization_code",), response_types=("code",),
    scope="openid", token_endpoint_auth_method="none", public=True,
    allow_tokens_via_browser=False, require_pkce=True, allow_plain_pkce=False,
    can_introspect=False, id_token_signed_response_alg="RS256", access_token_lifetime=None,
)  # fmt: skip
URI_PIECES = st.sampled_from(
    ["http://", "https://", "127.0.0.1", "[::1]", "[", "]", ":", ":8080", ":99999", ":x",
     "@", "/cb", "?x=1", "#", "%", "app.example", "localhost", "\\", " ", "\x00", "é", "//"]
)  # fmt: skip
URIS = st.text(max_size=80) | st.lists(URI_PIECES, max_size=8).map("".join)


@given(uri=URIS, registered=st.lists(URIS, max_size=3))
def test_any_uri_matches_or_not_against_any_registered_ones(uri, registered):
    client = replace(CLIENT, redirect_uris=tuple(registered))
    assert match_redirect_uri(client, uri) in (True, False)
    assert match_redirect_uri(client, uri) is (uri in registered) or uri.startswith("http://")


@given(port=st.integers(min_value=1, max_value=65535), which=st.sampled_from([1, 2]))
def test_a_loopback_uri_matches_on_any_port_and_nothing_else_changes(port, which):
    host = "127.0.0.1" if which == 1 else "[::1]"
    path = "/cb" if which == 1 else "/cb?x=1"
    assert match_redirect_uri(CLIENT, f"http://{host}:{port}{path}")
    assert not match_redirect_uri(CLIENT, f"http://{host}:{port}{path}x")
    assert not match_redirect_uri(CLIENT, f"https://{host}:{port}{path}")


@given(uri=URIS)
@example(uri="http://[::1/cb")  # found here: urlsplit's ValueError escaped registration
def test_registration_accepts_a_redirect_uri_or_refuses_it_as_invalid_metadata(uri):
    try:
        _check_redirect_uri(uri)
    except InvalidClientMetadata as err:
        assert err.error == "invalid_redirect_uri"
