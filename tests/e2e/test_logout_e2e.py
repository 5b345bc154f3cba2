"""RP-initiated logout by a cross-site POST, in Chromium (RP-Initiated Logout 1.0 §2).

The client's pages are served from `localhost`, the issuer from `127.0.0.1`: another site,
so the browser sends no SameSite=Lax session cookie with the client's POST. The session
must end all the same.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from playwright.sync_api import Browser

from tests.helpers.stack import Stack, free_port

PASSWORD = "logout password 42"
PORT = free_port()
REDIRECT = f"http://127.0.0.1:{PORT}/callback"
AFTER = f"http://localhost:{PORT}/signed-out"
LOGOUT_FORM: dict[str, str] = {}


class ClientSite(BaseHTTPRequestHandler):
    """The client: its callback, its page with a logout form, its signed-out page."""

    def do_GET(self) -> None:
        body = "client page"
        if self.path.startswith("/logout-form"):
            fields = "".join(
                f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">'
                for k, v in LOGOUT_FORM.items()
                if k != "action"
            )
            body = (
                f'<form method="post" action="{escape(LOGOUT_FORM["action"])}">{fields}'
                '<button type="submit">Sign out</button></form>'
            )
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module", autouse=True)
def client_site() -> Iterator[None]:
    server = ThreadingHTTPServer(("127.0.0.1", PORT), ClientSite)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield
    server.shutdown()
    server.server_close()


def test_cross_site_logout_post_ends_the_session_and_returns_with_state(
    stack: Stack, chromium: Browser
) -> None:
    # Given a person signed in through a client that holds their ID token
    stack.admin("user", "create", "--username", "lou", "--password-stdin", stdin=PASSWORD)
    client = stack.admin(
        "client", "create", "--name", "Logout app", "--grant-type", "authorization_code",
        "--redirect-uri", REDIRECT, "--post-logout-redirect-uri", AFTER, "--scope", "openid",
    )  # fmt: skip
    context = chromium.new_context()
    page = context.new_page()
    query = {
        "response_type": "code", "client_id": client["client_id"], "redirect_uri": REDIRECT,
        "scope": "openid", "state": "s",
    }  # fmt: skip
    page.goto(f"{stack.issuer}/authorize?{urlencode(query)}")
    page.fill("input[name=username]", "lou")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.click("button[value=approve]")
    page.wait_for_url(lambda url: url.startswith(REDIRECT))
    code = parse_qs(urlsplit(page.url).query)["code"][0]
    tokens = requests.post(
        f"{stack.issuer}/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
        auth=(client["client_id"], client["client_secret"]),
        timeout=10,
    ).json()

    # When the client's page (another site) posts the logout request
    LOGOUT_FORM.update(
        action=f"{stack.issuer}/logout", id_token_hint=tokens["id_token"],
        post_logout_redirect_uri=AFTER, state="bye-1", client_id=client["client_id"],
    )  # fmt: skip
    page.goto(f"http://localhost:{PORT}/logout-form")
    page.click("button[type=submit]")

    # Then the person is back at the client with the state, and signed out of Gatehouse
    page.wait_for_url(lambda url: url.startswith(AFTER))
    assert parse_qs(urlsplit(page.url).query)["state"] == ["bye-1"]
    page.goto(f"{stack.issuer}/login")
    assert page.locator("input[name=password]").count() == 1
    context.close()
