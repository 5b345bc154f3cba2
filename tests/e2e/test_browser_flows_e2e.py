"""Sign-in flows in Chromium (Playwright driving Debian's chromium) against `chalice local`.

The client's redirect URI is a tiny loopback listener started by the test: it answers 200
and keeps form_post bodies. (Playwright's `route` does not see a redirect that follows a
`goto` in this Chromium, so a request nobody answers would end on an error page.)
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from playwright.sync_api import Browser, BrowserContext, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.helpers.oidc import left_half_sha256
from tests.helpers.stack import Stack, free_port

PASSWORD = "browser password 42"
REDIRECT = f"http://127.0.0.1:{free_port()}/callback"
POSTED: list[str] = []


class Callback(BaseHTTPRequestHandler):
    """The client's redirect endpoint: says ok and remembers form_post bodies."""

    def do_GET(self) -> None:
        self._ok()

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        POSTED.append(self.rfile.read(length).decode())
        self._ok()

    def _ok(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"client callback")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module", autouse=True)
def callback_server() -> Iterator[None]:
    server = ThreadingHTTPServer(("127.0.0.1", urlsplit(REDIRECT).port or 0), Callback)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def setup(stack: Stack) -> dict[str, Any]:
    common = ["--redirect-uri", REDIRECT, "--scope", "openid profile email"]
    web = stack.admin(
        "client", "create", "--name", "Erin's web app", "--grant-type", "authorization_code",
        "--response-type", "code", "--response-type", "code id_token", "--require-pkce", *common,
    )  # fmt: skip
    spa = stack.admin(
        "client", "create", "--name", "Implicit SPA", "--grant-type", "implicit",
        "--response-type", "id_token token", "--allow-tokens-via-browser", "--public", *common,
    )  # fmt: skip
    meta = requests.get(f"{stack.issuer}/.well-known/openid-configuration", timeout=10).json()
    return {"web": web, "spa": spa, "meta": meta}


@pytest.fixture(autouse=True)
def person(stack: Stack, request: pytest.FixtureRequest) -> str:
    """A user of this test's own, so no remembered consent leaks between tests."""
    username = f"erin-{request.node.name[5:30]}"
    stack.admin(
        "user", "create", "--username", username, "--password-stdin",
        "--email", "erin@example.com", "--name", "Erin Example", stdin=PASSWORD,
    )  # fmt: skip
    return username


@pytest.fixture
def context(chromium: Browser, person: str) -> Iterator[BrowserContext]:
    context = chromium.new_context(viewport={"width": 390, "height": 844})  # a phone
    context.person = person  # type: ignore[attr-defined]
    POSTED.clear()
    yield context
    context.close()


def shown(page: Page, selector: str) -> None:
    """Wait for a page element; a failure names the page the browser is on instead."""
    try:
        page.wait_for_selector(selector, timeout=10_000)
    except PlaywrightTimeout as exc:
        raise AssertionError(f"{selector} not shown; browser is at {page.url}") from exc


def sign_in(page: Page, shots: Path, name: str) -> None:
    shown(page, "input[name=username]")
    page.screenshot(path=str(shots / f"{name}-login.png"), full_page=True)
    page.fill("input[name=username]", page.context.person)  # type: ignore[attr-defined]
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def approve(page: Page, shots: Path, name: str, remember: bool = False) -> None:
    shown(page, "button[value=approve]")
    page.screenshot(path=str(shots / f"{name}-consent.png"), full_page=True)
    if remember:
        page.check("input[name=remember]")
    page.click("button[value=approve]")


def arrived(page: Page) -> dict[str, str]:
    """What the client received at its redirect URI (query or fragment)."""
    page.wait_for_url(lambda url: url.startswith(REDIRECT))
    parts = urlsplit(page.url)
    return {k: v[0] for k, v in parse_qs(parts.fragment or parts.query).items()}


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def verified_id_token(meta: dict[str, Any], token: str, client_id: str) -> dict[str, Any]:
    key = jwt.PyJWKClient(meta["jwks_uri"]).get_signing_key_from_jwt(token)
    return jwt.decode(
        token, key.key, algorithms=["RS256"], audience=client_id, issuer=meta["issuer"],
        options={"require": ["exp", "iat", "auth_time", "sub", "nonce"]},
    )  # fmt: skip


def authlib_client(setup: dict[str, Any]) -> OAuth2Session:
    web = setup["web"]
    return OAuth2Session(
        web["client_id"], web["client_secret"], scope="openid profile email",
        redirect_uri=REDIRECT, code_challenge_method="S256",
    )  # fmt: skip


def code_flow(page: Page, setup: dict[str, Any], **extra: str) -> tuple[OAuth2Session, str, str]:
    """Start an Authlib code+PKCE request in the page; returns (client, verifier, nonce).

    The request's state is left on the client as `oauth.request_state`.
    """
    oauth, verifier, nonce = authlib_client(setup), secrets.token_urlsafe(48), secrets.token_hex(8)
    if extra.get("response_type", "code") != "code":  # Authlib adds PKCE for `code` only
        extra.update(code_challenge=s256(verifier), code_challenge_method="S256")
    url, state = oauth.create_authorization_url(
        setup["meta"]["authorization_endpoint"], code_verifier=verifier, nonce=nonce, **extra
    )
    oauth.request_state = state  # type: ignore[attr-defined]
    page.goto(url)
    return oauth, verifier, nonce


def exchange(oauth: OAuth2Session, setup: dict[str, Any], page: Page, verifier: str) -> Any:
    return oauth.fetch_token(
        setup["meta"]["token_endpoint"], authorization_response=page.url, code_verifier=verifier
    )


def test_code_with_pkce_login_consent_and_authlib_exchange_then_remembered_consent(
    context: BrowserContext, setup: dict[str, Any], tmp_path: Path
) -> None:
    # Given Erin starts a code + PKCE sign-in from Authlib's authorization URL
    page = context.new_page()
    oauth, verifier, nonce = code_flow(page, setup)
    sign_in(page, tmp_path, "code")
    approve(page, tmp_path, "code", remember=True)
    received = arrived(page)
    assert received["iss"] == setup["meta"]["issuer"] and "code" in received

    # When Authlib exchanges the code with the verifier
    token = exchange(oauth, setup, page, verifier)

    # Then the ID token verifies against jwks_uri and binds nonce and access token
    claims = verified_id_token(setup["meta"], token["id_token"], setup["web"]["client_id"])
    assert claims["nonce"] == nonce and claims["at_hash"] == left_half_sha256(token["access_token"])
    userinfo = requests.get(
        setup["meta"]["userinfo_endpoint"],
        headers={"Authorization": f"Bearer {token['access_token']}"},
        timeout=10,
    ).json()
    assert userinfo == {
        "sub": claims["sub"], "name": "Erin Example", "email": "erin@example.com",
        "email_verified": False,
    }  # fmt: skip

    # And a second visit goes straight back to the client: signed in, consent remembered
    oauth, verifier, _ = code_flow(page, setup)
    assert "code" in arrived(page)
    assert exchange(oauth, setup, page, verifier)["token_type"] == "Bearer"
    assert (tmp_path / "code-login.png").stat().st_size > 0
    assert (tmp_path / "code-consent.png").stat().st_size > 0


def test_implicit_id_token_token(
    context: BrowserContext, setup: dict[str, Any], tmp_path: Path
) -> None:
    spa = setup["spa"]
    page = context.new_page()
    page.goto(
        f"{setup['meta']['authorization_endpoint']}?response_type=id_token%20token"
        f"&client_id={spa['client_id']}&redirect_uri={REDIRECT}&scope=openid%20profile"
        "&state=implicit-state&nonce=implicit-nonce"
    )
    sign_in(page, tmp_path, "implicit")
    approve(page, tmp_path, "implicit")
    received = arrived(page)
    assert "#" in page.url and received["state"] == "implicit-state"
    claims = verified_id_token(setup["meta"], received["id_token"], spa["client_id"])
    assert claims["nonce"] == "implicit-nonce"
    assert claims["at_hash"] == left_half_sha256(received["access_token"])
    assert "name" not in claims  # an access token came too: profile claims via userinfo


def test_hybrid_code_id_token(
    context: BrowserContext, setup: dict[str, Any], tmp_path: Path
) -> None:
    page = context.new_page()
    oauth, verifier, nonce = code_flow(page, setup, response_type="code id_token")
    sign_in(page, tmp_path, "hybrid")
    approve(page, tmp_path, "hybrid")
    received = arrived(page)
    assert "#" in page.url
    front = verified_id_token(setup["meta"], received["id_token"], setup["web"]["client_id"])
    assert front["nonce"] == nonce and front["c_hash"] == left_half_sha256(received["code"])
    token = oauth.fetch_token(
        setup["meta"]["token_endpoint"], code=received["code"], code_verifier=verifier
    )
    back = verified_id_token(setup["meta"], token["id_token"], setup["web"]["client_id"])
    assert back["sub"] == front["sub"] and back["at_hash"] == left_half_sha256(
        token["access_token"]
    )


def test_form_post_response_mode(
    context: BrowserContext, setup: dict[str, Any], tmp_path: Path
) -> None:
    page = context.new_page()
    oauth, verifier, _ = code_flow(page, setup, response_mode="form_post")
    sign_in(page, tmp_path, "form-post")
    approve(page, tmp_path, "form-post")
    page.wait_for_url(REDIRECT)
    (body,) = POSTED
    fields = {k: v[0] for k, v in parse_qs(body).items()}
    assert fields["iss"] == setup["meta"]["issuer"] and fields["state"] == oauth.request_state
    token = oauth.fetch_token(
        setup["meta"]["token_endpoint"], code=fields["code"], code_verifier=verifier
    )
    assert token["id_token"]


def test_prompt_none_without_session_returns_login_required_to_the_client(
    context: BrowserContext, setup: dict[str, Any], tmp_path: Path
) -> None:
    page = context.new_page()
    oauth, _, _ = code_flow(page, setup, prompt="none")
    received = arrived(page)
    assert received["error"] == "login_required" and received["state"] == oauth.request_state
    assert received["iss"] == setup["meta"]["issuer"]

    # once signed in (and consent remembered), prompt=none answers with a code
    code_flow(page, setup)
    sign_in(page, tmp_path, "prompt-none")
    approve(page, tmp_path, "prompt-none", remember=True)
    assert "code" in arrived(page)
    code_flow(page, setup, prompt="none")
    assert "code" in arrived(page)


def test_prompt_login_forces_a_new_sign_in_with_a_later_auth_time(
    context: BrowserContext, setup: dict[str, Any], tmp_path: Path
) -> None:
    page = context.new_page()
    oauth, verifier, _ = code_flow(page, setup)
    sign_in(page, tmp_path, "prompt-login")
    approve(page, tmp_path, "prompt-login")
    arrived(page)
    first = jwt.decode(
        exchange(oauth, setup, page, verifier)["id_token"], options={"verify_signature": False}
    )
    time.sleep(1.1)

    oauth, verifier, _ = code_flow(page, setup, prompt="login")
    sign_in(page, tmp_path, "prompt-login-again")  # the login page is shown although signed in
    approve(page, tmp_path, "prompt-login-again")
    arrived(page)
    second = jwt.decode(
        exchange(oauth, setup, page, verifier)["id_token"], options={"verify_signature": False}
    )
    assert second["auth_time"] > first["auth_time"] and second["sub"] == first["sub"]
