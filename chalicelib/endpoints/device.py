"""The device page, RFC 8628 §3.3: a person types the user code, checks, approves or denies.

GET /device[?user_code=] -> sign in first (the login page returns here with the code) ->
the code form, prefilled from the query. POST /device without `decision` -> look the code
up -> the confirmation page (the client's name, the scopes, the resources the tokens will
be for (RFC 8707), the code to compare, and the warning of §5.4: continue only for a
device in your hands). POST with `decision` -> approve or deny, bound to the signed-in
user, once (records/device_codes.decide).
Decisions:
* GET never looks a code up, so following a link changes nothing and costs no tries;
  the person always presses Continue and then Approve (§5.4, remote phishing).
* Every lookup, including the one behind the decision buttons, goes through the
  brute-force guard of user_codes (§5.1); unknown, expired and used codes get one message.
* The device flow signs in as every flow does (the login page, a second factor for a
  person who has one), and a client that requires multi-factor sign-in (`require_mfa`)
  has the session stepped up before its code can be confirmed (endpoints/second_factor.py).
  The approval keeps how the person signed in (amr), for the device's tokens.
* Both forms are CSRF-protected (pages/cookies.py's signed double-submit token); a
  disabled or deleted user cannot continue even with a session that outlived the account.
"""

from __future__ import annotations

from urllib.parse import urlencode

from chalice import Response
from chalice.app import Request

from chalicelib import pages
from chalicelib.endpoints import second_factor
from chalicelib.endpoints.login import login_url
from chalicelib.errors import AccessDenied, InvalidRequest, OAuthError
from chalicelib.http import Params, form_params, query_params
from chalicelib.pages import cookies
from chalicelib.pages.cookies import Browser
from chalicelib.records import clients, device_codes, user_codes, users
from chalicelib.records.device_codes import DeviceCode
from chalicelib.records.sessions import Session
from chalicelib.records.users import User

CSRF_FORM = "device"
DECISIONS = ("approve", "deny")
UNKNOWN_CODE = (
    "That code was not recognised. Check the code on your device: it may have expired or "
    "already been used."
)
EXPIRED_FORM = "This form has expired. Please enter the code again."
DISABLED = "This account cannot approve devices. Contact your administrator."


def show(request: Request) -> Response:
    params = query_params(request)
    browser = cookies.from_request(request)
    typed = _typed(params)
    if browser.session is None:
        return _sign_in(browser, typed)
    return _code_form(browser, browser.session, typed)


def submit(request: Request) -> Response:
    params = form_params(request)
    browser = cookies.from_request(request)
    typed = _typed(params)
    session = browser.session
    if session is None:
        return _sign_in(browser, typed)
    if not cookies.csrf_ok(browser, CSRF_FORM, params.get("csrf_token")):
        return _code_form(browser, session, typed, error=EXPIRED_FORM, status=400)
    decision = params.get("decision")
    try:
        if decision is not None and decision not in DECISIONS:
            raise InvalidRequest("Choose Approve or Deny.")
        user = _signed_in_user(session)
        record = _look_up(typed, params.source_ip)
        client = clients.get_client(record.client_id)
        requires = bool(client and client.require_mfa)
        if second_factor.needs_step_up(session, user, client_requires=requires, acr_values=None):
            return_to = "/device?" + urlencode({"user_code": typed})
            return second_factor.step_up(browser, session, user, return_to)
        if decision is None:
            return _confirm(browser, session, record)
        approve = decision == "approve"
        device_codes.decide(
            record,
            approve=approve,
            sub=user.sub,
            auth_time=session.auth_time,
            username=user.username,
            amr=session.amr,
        )
    except OAuthError as err:
        return _code_form(browser, session, typed, error=err.description, status=err.status_code)
    template = "device_approved.html" if approve else "device_denied.html"
    return pages.render(template, headers=cookies.cookie_headers(browser))


def _typed(params: Params) -> str:
    """What the person typed, cut to a sane length; only ever shown autoescaped."""
    return (params.get("user_code") or "")[: user_codes.MAX_INPUT]


def _signed_in_user(session: Session) -> User:
    user = users.active(session.username, sub=session.sub)
    if user is None:
        raise AccessDenied(DISABLED, status_code=403)
    return user


def _look_up(typed: str, source_ip: str) -> DeviceCode:
    """The pending record for the typed code, through the brute-force guard."""
    code = user_codes.require(typed)
    user_codes.charge(source_ip)
    record = device_codes.find_pending(code)
    user_codes.record_lookup(source_ip, found=record is not None)
    if record is None:
        raise InvalidRequest(UNKNOWN_CODE)
    return record


def _sign_in(browser: Browser, typed: str) -> Response:
    return_to = "/device" + (f"?{urlencode({'user_code': typed})}" if typed else "")
    return pages.redirect(login_url(return_to), status=303, headers=cookies.cookie_headers(browser))


def _code_form(
    browser: Browser,
    session: Session,
    typed: str,
    *,
    error: str = "",
    status: int = 200,
) -> Response:
    return pages.render(
        "device.html",
        status=status,
        headers=cookies.cookie_headers(browser),
        csrf_token=cookies.csrf_token(browser, CSRF_FORM),
        user_code=typed,
        username=session.username,
        error=error,
    )


def _confirm(browser: Browser, session: Session, record: DeviceCode) -> Response:
    client = clients.get_client(record.client_id)  # cached: the step-up check read it
    return pages.render(
        "device_confirm.html",
        headers=cookies.cookie_headers(browser),
        csrf_token=cookies.csrf_token(browser, CSRF_FORM),
        user_code=user_codes.display(record.user_code),
        client_name=client.name if client else record.client_id,
        scopes=record.scope.split(),
        resources=list(record.resources or ()),
        username=session.username,
    )
