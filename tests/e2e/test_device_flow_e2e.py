"""The device flow end to end: a device polls `chalice local` while Chromium approves or denies.

The device side is a plain RFC 8628 client (requests): it reads discovery, starts the flow,
and polls in a thread honouring `interval` and `slow_down`, as a TV would. The person's
side is Debian's Chromium driven by Playwright: open verification_uri_complete, sign in,
press Continue, then Approve or Deny. Screenshots of each page land in the test's tmp_path.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests
from playwright.sync_api import Browser, Page

from tests.helpers.stack import Stack, running_stack

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
PASSWORD = "password123"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A stack of this module's own: a 1 s poll interval keeps the device's loop quick."""
    with running_stack(tmp_path_factory, DEVICE_POLL_INTERVAL="1") as running:
        yield running


@pytest.fixture(scope="module")
def tv(stack: Stack) -> dict[str, Any]:
    stack.admin("user", "create", "--username", "dana", "--password-stdin", stdin=PASSWORD + "\n")
    return stack.admin(
        "client", "create", "--name", "Living-room TV", "--grant-type", DEVICE_GRANT,
        "--public", "--scope", "openid profile",
    )  # fmt: skip


class Device:
    """An RFC 8628 client: start, then poll in the background until an answer is final."""

    def __init__(self, issuer: str, client_id: str) -> None:
        discovery = f"{issuer}/.well-known/openid-configuration"
        self.metadata = requests.get(discovery, timeout=10).json()
        self.client_id = client_id
        self.answers: list[str] = []
        self.result: dict[str, Any] = {}
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def start(self, scope: str) -> dict[str, Any]:
        endpoint = self.metadata["device_authorization_endpoint"]
        data = {"client_id": self.client_id, "scope": scope}
        self.flow = requests.post(endpoint, data=data, timeout=10).json()
        self._thread.start()
        return self.flow

    def _poll(self) -> None:
        interval, deadline = self.flow["interval"], time.monotonic() + self.flow["expires_in"]
        form = {"grant_type": DEVICE_GRANT, "device_code": self.flow["device_code"]}
        while time.monotonic() < deadline:
            time.sleep(interval)
            response = requests.post(
                self.metadata["token_endpoint"],
                data={**form, "client_id": self.client_id},
                timeout=10,
            )
            body = response.json()
            self.answers.append(body.get("error", "tokens"))
            if body.get("error") == "slow_down":
                interval += 5
            elif body.get("error") != "authorization_pending":
                self.result = body
                return

    def wait(self, timeout: float = 30) -> dict[str, Any]:
        self._thread.join(timeout)
        assert not self._thread.is_alive(), f"still polling: {self.answers}"
        return self.result


def person_decides(page: Page, url: str, decision: str, shots: Path) -> None:
    """Open the link, sign in, check the code and decide, as a person on a phone would."""
    page.goto(url)
    page.screenshot(path=str(shots / "1-sign-in.png"))
    page.fill("input[name=username]", "dana")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("input[name=user_code]")
    page.screenshot(path=str(shots / "2-code.png"))
    page.click("button[type=submit]")
    page.wait_for_selector("button[name=decision]")
    page.screenshot(path=str(shots / "3-confirm.png"), full_page=True)
    page.click(f"button[name=decision][value={decision}]")
    page.wait_for_selector("h1")
    page.screenshot(path=str(shots / "4-done.png"))


def test_device_gets_tokens_after_the_person_approves_in_chromium(
    stack: Stack, tv: dict[str, Any], chromium: Browser, tmp_path: Path
) -> None:
    # Given a TV that started the flow and polls
    device = Device(stack.issuer, tv["client_id"])
    flow = device.start("openid profile")
    context = chromium.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()

    # When the person opens the link on a phone, signs in and approves
    person_decides(page, flow["verification_uri_complete"], "approve", tmp_path)
    assert page.locator("h1").inner_text() == "Device connected"
    context.close()

    # Then the device's poll loop gets tokens that verify against jwks_uri
    tokens = device.wait()
    assert device.answers[-1] == "tokens" and "authorization_pending" in device.answers
    jwks = jwt.PyJWKClient(device.metadata["jwks_uri"])
    access = jwt.decode(
        tokens["access_token"],
        jwks.get_signing_key_from_jwt(tokens["access_token"]).key,
        algorithms=["RS256", "ES256"],
        audience="urn:gatehouse:api",
        issuer=device.metadata["issuer"],
    )
    assert access["client_id"] == tv["client_id"] and access["scope"] == "openid profile"
    id_token = jwt.decode(
        tokens["id_token"],
        jwks.get_signing_key_from_jwt(tokens["id_token"]).key,
        algorithms=["RS256"],
        audience=tv["client_id"],
        issuer=device.metadata["issuer"],
    )
    assert id_token["sub"] == access["sub"]
    assert sorted(p.name for p in tmp_path.glob("*.png")) == [
        "1-sign-in.png", "2-code.png", "3-confirm.png", "4-done.png",
    ]  # fmt: skip


def test_device_gets_access_denied_after_the_person_denies_in_chromium(
    stack: Stack, tv: dict[str, Any], chromium: Browser, tmp_path: Path
) -> None:
    device = Device(stack.issuer, tv["client_id"])
    flow = device.start("openid")
    context = chromium.new_context()
    page = context.new_page()
    person_decides(page, flow["verification_uri_complete"], "deny", tmp_path)
    assert page.locator("h1").inner_text() == "Request denied"
    context.close()
    assert device.wait() == {
        "error": "access_denied",
        "error_description": "The user denied the request",
    }
