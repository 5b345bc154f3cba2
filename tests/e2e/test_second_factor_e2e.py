"""Second factors end to end, on a phone-sized page in real Chromium against the local stack.

A person sets up an authenticator app and a passkey on /account/security, then signs in
with the password and an app code, with a passkey alone, and with a recovery code; an app
that requires multi-factor sign-in gets a code only after the second factor and reads it
from the ID token, verified with PyJWT's PyJWKClient against the stack's JWKS; a person
with only a password is sent by that app to /account/security, sets up an authenticator
app there and continues to the app without signing in again. Passkeys
come from Chromium's virtual authenticator (Chrome DevTools Protocol `WebAuthn` domain),
which verifies the user and keeps discoverable credentials, as a phone's platform
authenticator does. The stack's issuer is `http://localhost:PORT`: a WebAuthn RP ID cannot
be an IP address.

The tests run in order and share one phone (one browser context, one authenticator, one
person): the first enrols what the others sign in with. With GATEHOUSE_SCREENSHOTS set,
the README's screenshots are written to docs/screenshots/.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
import requests

from chalicelib.records.assurance import ACR_MFA
from tests.helpers.mfa import code_at, secret_of
from tests.helpers.stack import ROOT, Stack, free_port, running_stack

PERSON = "sam"
PASSWORD = "correct horse battery"
# `#no-autofill` in a URL makes that page a browser without passkey autofill (conditional
# mediation), such as an older Firefox: its login page offers only the button.
WITHOUT_AUTOFILL = """
if (location.hash === "#no-autofill" && window.PublicKeyCredential) {
  PublicKeyCredential.isConditionalMediationAvailable = () => Promise.resolve(false);
}
"""
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@pytest.fixture(scope="module")
def mfa_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory, host="localhost") as stack:
        stack.admin("user", "create", "--username", PERSON, "--password-stdin",
                    stdin=PASSWORD + "\n")  # fmt: skip
        yield stack


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if os.environ.get("GATEHOUSE_SCREENSHOTS"):
        folder = ROOT / "docs" / "screenshots"
        folder.mkdir(parents=True, exist_ok=True)
        return folder
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture(scope="module")
def phone(chromium: Any) -> Iterator[SimpleNamespace]:
    """A phone-sized browser with a platform authenticator that verifies its user."""
    context = chromium.new_context(**PHONE)
    page = context.new_page()
    page.add_init_script(WITHOUT_AUTOFILL)
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    options = {
        "protocol": "ctap2",
        "transport": "internal",
        "hasResidentKey": True,
        "hasUserVerification": True,
        "isUserVerified": True,
        "automaticPresenceSimulation": True,
    }
    authenticator = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": options})
    yield SimpleNamespace(page=page, cdp=cdp, authenticator=authenticator["authenticatorId"])
    context.close()


@pytest.fixture(scope="module")
def enrolled() -> SimpleNamespace:
    """What the first test set up, for the tests after it."""
    return SimpleNamespace(secret=None, codes=[])


def presence(phone: SimpleNamespace, present: bool) -> None:
    """Whether the person touches the authenticator when asked. While not, the login page's
    passkey autofill (conditional mediation) waits, as it does until a person picks one."""
    phone.cdp.send(
        "WebAuthn.setAutomaticPresenceSimulation",
        {"authenticatorId": phone.authenticator, "enabled": present},
    )


def sign_in_with_password(page: Any, issuer: str, return_to: str = "/login") -> None:
    page.goto(f"{issuer}/login?{urlencode({'return_to': return_to})}")
    page.fill("input[name=username]", PERSON)
    page.fill("input[name=password]", PASSWORD)
    page.click("form >> nth=0 >> button[type=submit]")


def sign_out(page: Any, issuer: str) -> None:
    page.goto(f"{issuer}/login")
    if page.locator("text=Signed in").count():
        page.click("button:has-text('Sign out')")
        page.wait_for_selector("text=signed out", timeout=10_000)


def credentials(phone: SimpleNamespace) -> list[dict[str, Any]]:
    found = phone.cdp.send("WebAuthn.getCredentials", {"authenticatorId": phone.authenticator})
    return found["credentials"]


def test_a_person_sets_up_an_app_and_a_passkey_on_a_phone(
    mfa_stack: Stack, phone: SimpleNamespace, enrolled: SimpleNamespace, shots: Path
) -> None:
    page, issuer = phone.page, mfa_stack.issuer
    sign_in_with_password(page, issuer, return_to="/account/security")
    page.wait_for_selector("text=No authenticator app is set up.")
    page.click("button:has-text('Set up an authenticator app')")
    uri = page.text_content("#otpauth-uri") or ""
    assert uri.startswith("otpauth://totp/Gatehouse:sam?") and page.locator(".qr svg").count()
    page.screenshot(path=str(shots / "totp-enrol.png"), full_page=True)
    enrolled.secret = secret_of(uri)
    page.fill("input[name=otp]", code_at(enrolled.secret, time.time()))
    page.click("button:has-text('Confirm')")
    page.wait_for_selector("#recovery-codes")
    enrolled.codes = [c.strip() for c in page.locator("#recovery-codes code").all_text_contents()]
    assert len(enrolled.codes) == 10
    page.screenshot(path=str(shots / "recovery-codes.png"), full_page=True)
    page.click("#continue")
    page.wait_for_selector("text=An authenticator app is set up.")
    page.fill("#passkey-name", "Sam's phone")
    page.click("#passkey-add")
    page.wait_for_selector("#passkeys >> text=Sam's phone")
    (stored,) = credentials(phone)
    assert stored["isResidentCredential"] and stored["rpId"] == "localhost"
    page.screenshot(path=str(shots / "account-security.png"), full_page=True)
    shown = mfa_stack.admin("user", "show", "--username", PERSON)["mfa"]
    assert shown == {"required": False, "authenticator_app": True, "passkeys": 1,
                     "recovery_codes": 10}  # fmt: skip


def test_the_password_then_an_app_code(
    mfa_stack: Stack, phone: SimpleNamespace, enrolled: SimpleNamespace, shots: Path
) -> None:
    page, issuer = phone.page, mfa_stack.issuer
    presence(phone, False)
    sign_out(page, issuer)
    sign_in_with_password(page, issuer)
    page.wait_for_selector("input[name=otp]")
    assert page.locator("#passkey-verify").count() == 1  # the passkey is offered too
    page.screenshot(path=str(shots / "second-factor.png"), full_page=True)
    page.fill("input[name=otp]", code_at(enrolled.secret, time.time() + 30))  # a later step
    page.click("button:has-text('Verify')")
    page.wait_for_selector(f"text=You are signed in as {PERSON}")


def test_a_passkey_alone_from_the_button(
    mfa_stack: Stack, phone: SimpleNamespace, shots: Path
) -> None:
    page, issuer = phone.page, mfa_stack.issuer
    presence(phone, False)
    sign_out(page, issuer)
    presence(phone, True)
    page.goto(f"{issuer}/login#no-autofill")
    page.wait_for_selector("#passkey-sign-in")
    page.screenshot(path=str(shots / "login.png"), full_page=True)
    before = credentials(phone)[0]["signCount"]
    page.click("#passkey-sign-in")
    page.wait_for_selector(f"text=You are signed in as {PERSON}")
    assert credentials(phone)[0]["signCount"] > before


def test_a_passkey_alone_from_the_browsers_autofill(
    mfa_stack: Stack, phone: SimpleNamespace
) -> None:
    page, issuer = phone.page, mfa_stack.issuer
    presence(phone, False)
    sign_out(page, issuer)
    presence(phone, True)  # the person picks the passkey the username field offers
    page.goto(f"{issuer}/login")
    page.wait_for_selector(f"text=You are signed in as {PERSON}")


def test_a_recovery_code_works_once(
    mfa_stack: Stack, phone: SimpleNamespace, enrolled: SimpleNamespace
) -> None:
    page, issuer = phone.page, mfa_stack.issuer
    presence(phone, False)
    for attempt in ("first", "again"):
        sign_out(page, issuer)
        sign_in_with_password(page, issuer)
        page.click("summary:has-text('Use a recovery code')")
        page.fill("input[name=recovery_code]", enrolled.codes[0])
        page.click("button:has-text('Use recovery code')")
        if attempt == "first":
            page.wait_for_selector(f"text=You are signed in as {PERSON}")
        else:
            page.wait_for_selector("text=not right, or it was already used")


@pytest.fixture(scope="module")
def payroll(mfa_stack: Stack) -> SimpleNamespace:
    """A public app that requires multi-factor sign-in (authorization code + PKCE)."""
    redirect = f"http://127.0.0.1:{free_port()}/cb"
    client = mfa_stack.admin(
        "client", "create", "--name", "Payroll", "--public", "--grant-type",
        "authorization_code", "--redirect-uri", redirect, "--scope", "openid", "--require-mfa",
    )  # fmt: skip
    return SimpleNamespace(client_id=client["client_id"], redirect=redirect)


def start_authorization(page: Any, issuer: str, app: SimpleNamespace) -> SimpleNamespace:
    """Open the app's authorization request in `page`; the app's redirect URI is caught
    (nothing listens there) and what lands on it is kept in `flow.landed`."""
    flow = SimpleNamespace(landed=[], verifier=secrets.token_urlsafe(48))
    digest = hashlib.sha256(flow.verifier.encode()).digest()
    challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def callback(route: Any) -> None:
        flow.landed.append(route.request.url)
        route.fulfill(body="done")

    page.route(f"{app.redirect}**", callback)
    query = {
        "response_type": "code", "client_id": app.client_id, "redirect_uri": app.redirect,
        "scope": "openid", "state": "st", "nonce": "nc", "code_challenge": challenge,
        "code_challenge_method": "S256",
    }  # fmt: skip
    page.goto(f"{issuer}/authorize?{urlencode(query)}")
    return flow


def verified_id_token(
    page: Any, issuer: str, app: SimpleNamespace, flow: SimpleNamespace
) -> dict[str, Any]:
    """Approve the consent page, exchange the code the app got, and verify the ID token
    against the stack's JWKS."""
    page.wait_for_selector("button[value=approve]")
    page.click("button[value=approve]")
    page.wait_for_function("() => document.body.innerText.includes('done')")
    answer = {k: v[0] for k, v in parse_qs(urlsplit(flow.landed[-1]).query).items()}
    assert answer["state"] == "st" and answer["iss"] == issuer
    form = {"grant_type": "authorization_code", "code": answer["code"],
            "redirect_uri": app.redirect, "client_id": app.client_id,
            "code_verifier": flow.verifier}  # fmt: skip
    answered = requests.post(f"{issuer}/token", data=form, timeout=10)
    assert answered.status_code == 200, answered.text
    id_token = answered.json()["id_token"]
    claims = jwt.decode(
        id_token,
        jwt.PyJWKClient(f"{issuer}/jwks.json").get_signing_key_from_jwt(id_token).key,
        algorithms=["RS256", "ES256"],
        audience=app.client_id,
        issuer=issuer,
    )
    assert claims["nonce"] == "nc"
    return claims


def test_an_app_that_requires_mfa_can_tell_from_the_id_token(
    mfa_stack: Stack, phone: SimpleNamespace, payroll: SimpleNamespace
) -> None:
    page, issuer = phone.page, mfa_stack.issuer
    presence(phone, False)
    sign_out(page, issuer)
    flow = start_authorization(page, issuer, payroll)
    page.fill("input[name=username]", PERSON)
    page.fill("input[name=password]", PASSWORD)
    page.click("form >> nth=0 >> button[type=submit]")
    page.wait_for_selector("#passkey-verify")
    assert not flow.landed  # a right password alone brings no code
    presence(phone, True)
    page.click("#passkey-verify")
    claims = verified_id_token(page, issuer, payroll, flow)
    assert claims["acr"] == ACR_MFA
    assert claims["amr"] == ["pwd", "hwk", "mfa"]


def test_an_app_that_requires_mfa_sends_a_person_without_one_to_enrol(
    mfa_stack: Stack, chromium: Any, payroll: SimpleNamespace
) -> None:
    """A person with only a password is sent to /account/security, sets up an app there,
    and continues to the app with a multi-factor sign-in without signing in again."""
    issuer = mfa_stack.issuer
    mfa_stack.admin("user", "create", "--username", "pat", "--password-stdin",
                    stdin=PASSWORD + "\n")  # fmt: skip
    context = chromium.new_context(**PHONE)
    try:
        page = context.new_page()
        flow = start_authorization(page, issuer, payroll)
        page.fill("input[name=username]", "pat")
        page.fill("input[name=password]", PASSWORD)
        page.click("form >> nth=0 >> button[type=submit]")
        page.wait_for_selector("#must-enrol")
        assert urlsplit(page.url).path == "/account/security"
        assert "return_to" in parse_qs(urlsplit(page.url).query)
        assert not flow.landed  # no code before a second factor
        page.click("button:has-text('Set up an authenticator app')")
        secret = secret_of(page.text_content("#otpauth-uri") or "")
        page.fill("input[name=otp]", code_at(secret, time.time()))
        page.click("button:has-text('Confirm')")
        page.wait_for_selector("#recovery-codes")
        assert not flow.landed
        page.click("#continue")  # back to the app's authorization request
        claims = verified_id_token(page, issuer, payroll, flow)
        assert claims["acr"] == ACR_MFA
        assert claims["amr"] == ["pwd", "otp", "mfa"]
    finally:
        context.close()


def test_the_page_shows_no_passkey_error_when_the_person_cancels(
    mfa_stack: Stack, phone: SimpleNamespace
) -> None:
    page, issuer = phone.page, mfa_stack.issuer
    presence(phone, False)
    sign_out(page, issuer)
    presence(phone, True)
    phone.cdp.send(
        "WebAuthn.setUserVerified",
        {"authenticatorId": phone.authenticator, "isUserVerified": False},
    )
    try:
        page.goto(f"{issuer}/login#no-autofill")
        page.click("#passkey-sign-in")
        page.wait_for_selector("#passkey-error:not([hidden])", timeout=15_000)
        assert re.search("No passkey was used", page.text_content("#passkey-error") or "")
        assert page.locator("text=Signed in").count() == 0
    finally:
        phone.cdp.send(
            "WebAuthn.setUserVerified",
            {"authenticatorId": phone.authenticator, "isUserVerified": True},
        )
