"""The signed-in person's security page (/account/security): authenticator app, recovery
codes and passkeys.

RFC 6238 (TOTP), WebAuthn Level 2 §7.1 (registering a credential), NIST SP 800-63B §6.1
(binding authenticators to an account), OWASP CSRF and re-authentication guidance.
Decisions:
* Only for a live session; anyone else is sent to sign in and comes back here.
* Every change is a POST with the page's CSRF token, and only from a session that signed
  in within `ACCOUNT_REAUTH_SECONDS` (5 minutes); an older one is sent to sign in again
  (password, and second factor if there is one) before anything changes. So a browser
  left signed in cannot have an attacker's authenticator added to it.
* Enrolling an app shows its `otpauth://` URI as text (`id="otpauth-uri"`) and as a QR
  code, then asks for one code (`otp`); only that code makes it the person's app. The
  first factor a person enrols also makes their recovery codes, shown once.
* Confirming a code or registering a passkey is proof of that factor: the session is
  replaced by one whose amr includes it, so a person sent here because a client requires
  multi-factor sign-in (`return_to`) continues without signing in again.
* A person who must have a second factor (`require_mfa`) cannot remove their last one.
* Changes answer with a redirect back to this page (post/redirect/get), except those that
  must show something once (the enrolment QR code, new recovery codes).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from chalice import Response
from chalice.app import Request

from chalicelib import pages
from chalicelib.config import get_settings
from chalicelib.endpoints.login import login_url, safe_return_to
from chalicelib.errors import InvalidRequest
from chalicelib.http import Params, form_params, query_params
from chalicelib.models import now
from chalicelib.pages import cookies
from chalicelib.pages.cookies import Browser
from chalicelib.records import assurance, passkeys, recovery_codes, second_factors, totp, users
from chalicelib.records.sessions import Session
from chalicelib.records.users import User

PATH = "/account/security"
CSRF_FORM = "account"
EXPIRED_FORM = "This form has expired. Try again."
WRONG_CODE = "That code is not right. Check the time on your phone and try the newest code."
LAST_FACTOR = "Your account requires a second factor: add another one before removing this one."


def show(request: Request) -> Response:
    browser = cookies.from_request(request)
    return_to = safe_return_to(query_params(request).get("return_to"))
    signed_in = _signed_in(browser)
    if signed_in is None:
        return _to_login(browser, return_to)
    session, user = signed_in
    return _page(browser, session, user, return_to)


def submit(request: Request) -> Response:
    params = form_params(request)
    browser = cookies.from_request(request)
    return_to = safe_return_to(params.get("return_to"))
    signed_in = _signed_in(browser)
    if signed_in is None:
        return _to_login(browser, return_to)
    session, user = signed_in
    if not cookies.csrf_ok(browser, CSRF_FORM, params.get("csrf_token")):
        return _page(browser, session, user, return_to, error=EXPIRED_FORM, status=400)
    if not _fresh(session):
        return _to_login(browser, return_to)
    try:
        return _change(browser, session, user, params, return_to)
    except InvalidRequest as err:
        return _page(browser, session, user, return_to, error=err.description, status=400)


def _change(
    browser: Browser, session: Session, user: User, params: Params, return_to: str | None
) -> Response:
    action = params.get("action")
    if action == "totp-start":
        return _enrol_page(browser, totp.start(user), return_to)
    if action == "totp-confirm":
        return _confirm_totp(browser, session, user, params.get("otp") or "", return_to)
    if action == "passkey-register":
        method = _register_passkey(user, params)
        return _enrolled(browser, session, user, method, return_to)
    if action == "recovery-regenerate":
        if not second_factors.enrolled(user):
            raise InvalidRequest("Set up an authenticator app or a passkey first.")
        return _codes_page(browser, recovery_codes.generate(user), return_to)
    if action == "totp-remove":
        _keep_one(user)
        totp.remove(user)
    elif action == "passkey-remove":
        _keep_one(user)
        if not passkeys.remove(user, params.get("credential_id") or ""):
            raise InvalidRequest("There is no such passkey.")
    else:
        raise InvalidRequest("Unknown action.")
    second_factors.after_removal(user)
    return _back(browser, return_to)


def _confirm_totp(
    browser: Browser, session: Session, user: User, code: str, return_to: str | None
) -> Response:
    if totp.confirm(user, "".join(code.split())):
        return _enrolled(browser, session, user, assurance.OTP, return_to)
    enrolment = totp.pending(user)
    if enrolment is None:
        raise InvalidRequest("The setup took too long. Start again.")
    return _enrol_page(browser, enrolment, return_to, error=WRONG_CODE, status=400)


def _register_passkey(user: User, params: Params) -> str:
    passkey = passkeys.register(user, params.get("credential") or "", params.get("name") or "")
    return assurance.passkey_method(passkey.synced)


def _enrolled(
    browser: Browser, session: Session, user: User, method: str, return_to: str | None
) -> Response:
    """After a factor was proved by enrolling it: a session that includes it, then the
    recovery codes if this was the first factor, else back."""
    fresh = users.active(user.username, sub=user.sub) or user
    cookies.sign_in(browser, fresh, amr=assurance.with_factor(session.amr, method))
    codes = second_factors.after_first_enrolment(fresh)
    if codes:
        return _codes_page(browser, codes, return_to)
    return _back(browser, return_to)


def _keep_one(user: User) -> None:
    """Refuse to remove the last factor of a person who must have one."""
    left = passkeys.count(user) + int(totp.enrolled(user)) - 1
    if second_factors.required(user) and left <= 0:
        raise InvalidRequest(LAST_FACTOR)


def _signed_in(browser: Browser) -> tuple[Session, User] | None:
    session = browser.session
    user = users.active(session.username, sub=session.sub) if session else None
    return (session, user) if session is not None and user is not None else None


def _fresh(session: Session) -> bool:
    return now() - session.auth_time <= get_settings().account_reauth_seconds


def _here(return_to: str | None) -> str:
    return PATH + (f"?{urlencode({'return_to': return_to})}" if return_to else "")


def _to_login(browser: Browser, return_to: str | None) -> Response:
    location = login_url(_here(return_to))
    return pages.redirect(location, status=303, headers=cookies.cookie_headers(browser))


def _back(browser: Browser, return_to: str | None) -> Response:
    location = get_settings().issuer + (return_to or PATH)
    return pages.redirect(location, status=303, headers=cookies.cookie_headers(browser))


def _page(
    browser: Browser,
    session: Session,
    user: User,
    return_to: str | None,
    *,
    error: str = "",
    status: int = 200,
) -> Response:
    fresh = _fresh(session)
    return pages.render(
        "account.html",
        status=status,
        headers=cookies.cookie_headers(browser),
        csrf_token=cookies.csrf_token(browser, CSRF_FORM),
        username=user.username,
        fresh=fresh,
        reauth_url=login_url(_here(return_to)),
        return_to=return_to or "",
        must_enrol=bool(return_to) and not second_factors.enrolled(user),
        required=second_factors.required(user),
        has_totp=totp.enrolled(user),
        recovery_left=recovery_codes.remaining(user),
        passkeys=passkeys.list_for(user.sub),
        registration=passkeys.registration_options(user) if fresh else None,
        error=error,
    )


def _enrol_page(
    browser: Browser,
    enrolment: totp.Enrolment,
    return_to: str | None,
    *,
    error: str = "",
    status: int = 200,
) -> Response:
    return pages.render(
        "totp_enrol.html",
        status=status,
        headers=cookies.cookie_headers(browser),
        csrf_token=cookies.csrf_token(browser, CSRF_FORM),
        otpauth_uri=enrolment.uri,
        secret=enrolment.secret,
        qr_svg=_qr_svg(enrolment.uri),
        return_to=return_to or "",
        error=error,
    )


def _codes_page(browser: Browser, codes: list[str], return_to: str | None) -> Response:
    return pages.render(
        "recovery_codes.html",
        headers=cookies.cookie_headers(browser),
        codes=codes,
        next_url=get_settings().issuer + (return_to or PATH),
    )


def _qr_svg(uri: str) -> Any:
    """The URI as an inline SVG QR code (segno: pure Python, no image library)."""
    import segno
    from markupsafe import Markup

    svg = segno.make(uri, error="m").svg_inline(scale=5, border=2, title="QR code to scan")
    # segno writes only SVG path data and our fixed title: no text of the person is in it
    return Markup(svg)  # noqa: S704
