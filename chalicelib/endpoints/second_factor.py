"""Signing in with a second factor, and with a passkey alone (the login page's two other steps).

OIDC Core §3.1.2.3 (the OP authenticates the End-User), RFC 6238 (TOTP), WebAuthn Level 2
§7.2 (verifying an assertion), NIST SP 800-63B §5.2.2 (rate limiting). Decisions:
* A right password for a person with a second factor makes no session: it makes a
  sign-in in progress (records/challenges.py) held by a cookie for a few minutes, and the
  page asks for an authenticator-app code (input `otp`), a passkey, or a recovery code.
  Only the right second factor turns it into a session, whose amr names both factors.
  The same page steps up an existing session that needs a second factor (`ask` from
  /authorize or /device); the new session then replaces it.
* Nothing about a person's factors is shown before their password was right: this page
  exists only for a sign-in in progress, and /login answers every wrong password alike.
* Codes are tried under the password policy (records/password_attempts.py): each try
  counts, a refusal says how long to wait, and only the right factor clears the count.
* The sign-in in progress is spent by a conditional delete when it succeeds, so it makes
  one session even if the form is sent twice at once; a wrong code leaves it to try again.
* "Sign in with a passkey" (and the browser's passkey autofill, WebAuthn conditional
  mediation) needs no username or password: the one-time challenge of the login page
  names no one, and the passkey's user handle says who it is.
"""

from __future__ import annotations

from urllib.parse import urlencode

from chalice import Response

from chalicelib import pages
from chalicelib.config import get_settings
from chalicelib.errors import InvalidRequest
from chalicelib.http import Params
from chalicelib.pages import cookies
from chalicelib.pages.cookies import Browser
from chalicelib.records import (
    assurance,
    challenges,
    passkeys,
    password_attempts,
    second_factors,
    totp,
    users,
)
from chalicelib.records.sessions import Session
from chalicelib.records.users import User

CSRF_FORM = "second-factor"
STEP_UP = "This app asks for a second factor. Confirm it's you to continue."
WRONG_CODE = "That code is not right, or it was already used. Try the newest code."


def ask(
    browser: Browser,
    user: User,
    *,
    amr: tuple[str, ...],
    return_to: str,
    reason: str = "",
) -> Response:
    """Start a second-factor step for `user`, who has proved `amr` so far."""
    webauthn = challenges.new_webauthn_challenge() if passkeys.count(user) else None
    pending = challenges.create(
        challenges.SECOND_FACTOR,
        username=user.username,
        sub=user.sub,
        amr=amr,
        return_to=return_to,
        webauthn_challenge=webauthn,
    )
    cookies.hold_sign_in_step(browser, pending.value)
    return _page(browser, user, pending, reason=reason)


def submit(browser: Browser, params: Params) -> Response | None:
    """The second-factor form: `otp`, `recovery_code` or `credential` (a passkey's answer).
    None when no sign-in is in progress (gone, spent or expired): sign in again."""
    pending = challenges.find(browser.sign_in_step, challenges.SECOND_FACTOR)
    user = users.active(pending.username or "", sub=pending.sub) if pending else None
    if pending is None or user is None:
        cookies.drop_sign_in_step(browser)
        return None
    if not cookies.csrf_ok(browser, CSRF_FORM, params.get("csrf_token")):
        return _page(browser, user, pending, error="This form has expired. Try again.", status=400)
    credential = params.get("credential")
    if credential:
        try:
            _, method = passkeys.authenticate(
                credential, pending.webauthn_challenge or "", sub=user.sub
            )
        except InvalidRequest as err:
            return _page(browser, user, pending, error=err.description, status=400)
        password_attempts.settle(user.username, params.source_ip, browser.device)
    else:
        typed = (params.get("otp") or params.get("recovery_code") or "").strip()
        checked = second_factors.check_code(user, typed, params.source_ip, browser.device)
        if checked.retry_after:
            page = _page(
                browser,
                user,
                pending,
                error=password_attempts.refusal(checked.retry_after),
                status=429,
            )
            page.headers["Retry-After"] = str(checked.retry_after)
            return page
        if checked.method is None:
            return _page(browser, user, pending, error=WRONG_CODE, status=400)
        method = checked.method
    if not challenges.spend(pending):
        cookies.drop_sign_in_step(browser)
        return None
    return finish(browser, user, assurance.with_factor(pending.amr, method), pending.return_to)


def passkey_sign_in(browser: Browser, params: Params, return_to: str | None) -> Response:
    """The login page's passkey answer: a person signed in by a passkey alone (raises
    InvalidRequest, for the login page to show, when it does not verify)."""
    credential = params.get("credential") or ""
    spent = challenges.consume(passkeys.client_challenge(credential), challenges.PASSKEY_SIGN_IN)
    if spent is None:
        raise InvalidRequest(passkeys.EXPIRED)
    user, method = passkeys.authenticate(credential, spent.value)
    return finish(browser, user, assurance.with_factor((), method), return_to)


def needs_step_up(
    session: Session, user: User, *, client_requires: bool, acr_values: str | None
) -> bool:
    """Whether this single-factor session must add a second factor first: the client or
    the person requires it, or acr_values asks for it and the person has one to give."""
    if assurance.is_multi_factor(session.amr):
        return False
    if client_requires or second_factors.required(user):
        return True
    return assurance.asks_mfa(acr_values) and second_factors.enrolled(user)


def step_up(browser: Browser, session: Session, user: User, return_to: str) -> Response:
    """The page that makes a session multi-factor (see `needs_step_up`): the second-factor
    step, or for a person with no factor yet, setting one up."""
    if second_factors.enrolled(user):
        return ask(browser, user, amr=session.amr, return_to=return_to, reason=STEP_UP)
    location = f"{get_settings().issuer}/account/security?{urlencode({'return_to': return_to})}"
    return pages.redirect(location, status=303, headers=cookies.cookie_headers(browser))


def finish(browser: Browser, user: User, amr: tuple[str, ...], return_to: str | None) -> Response:
    """A session for `user`, then on to where the sign-in was going (the person's security
    page first if they must have a second factor and have none yet)."""
    cookies.drop_sign_in_step(browser)
    cookies.sign_in(browser, user, amr=amr)
    if assurance.PASSWORD in amr:
        cookies.remember_device(browser, user.username)
    destination = return_to or "/login"
    if second_factors.required(user) and not second_factors.enrolled(user):
        destination = "/account/security?" + urlencode({"return_to": destination})
    location = get_settings().issuer + destination
    return pages.redirect(location, status=303, headers=cookies.cookie_headers(browser))


def _page(
    browser: Browser,
    user: User,
    pending: challenges.Challenge,
    *,
    reason: str = "",
    error: str = "",
    status: int = 200,
) -> Response:
    options = None
    if pending.webauthn_challenge and passkeys.count(user):
        options, _ = passkeys.authentication_options(user.sub, pending.webauthn_challenge)
    return pages.render(
        "second_factor.html",
        status=status,
        headers=cookies.cookie_headers(browser),
        csrf_token=cookies.csrf_token(browser, CSRF_FORM),
        username=user.username,
        has_totp=totp.enrolled(user),
        passkey_options=options,
        reason=reason,
        error=error,
    )
