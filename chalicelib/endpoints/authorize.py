"""The authorization endpoint (GET and POST /authorize) and the consent form's answer.

RFC 6749 §3.1 and §4.1-§4.2, OIDC Core §3.1.2 (prompt, max_age, id_token_hint), §3.1.2.4.
The steps: parse (duplicates refused) -> target: client_id and redirect_uri (failure: the
error page, never a redirect) -> validate the rest -> who is signed in (prompt=none gets
login_required; otherwise the login page, returning here) -> consent (remembered, asked,
or consent_required for prompt=none) -> mint and deliver. Every failure after the target
step, AWS faults included, is redirected to the client with `state` and `iss`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit

from chalice import Response

from chalicelib import consents, pages, sessions, users
from chalicelib.endpoints import authorize_response
from chalicelib.endpoints.authorize_request import (
    AuthorizationRequest,
    carried,
    target,
    validate,
)
from chalicelib.endpoints.login import login_url
from chalicelib.errors import (
    AccessDenied,
    ConsentRequired,
    LoginRequired,
    from_exception,
    log_error,
)
from chalicelib.http import Params, form_params, query_params
from chalicelib.models import now

FORM = "consent"
CONSENT_FIELDS = ("decision", "remember", "csrf_token")


def handle(request: Any) -> Response:
    params = form_params(request) if request.method == "POST" else query_params(request)
    return authorize(request, params)


def consent(request: Any) -> Response:
    """The consent form's answer: the original request plus decision, remember, csrf_token."""
    form = form_params(request)
    params = Params(
        {k: v for k, v in form.values.items() if k not in CONSENT_FIELDS},
        form.repeated,
        form.source_ip,
    )
    return authorize(request, params, answer=form)


def authorize(request: Any, params: Params, answer: Params | None = None) -> Response:
    where = target(params)
    browser = sessions.from_request(request)
    try:
        auth = validate(params, where)
        signed_in = _signed_in(auth, browser)
        if signed_in is None:
            return _to_login(auth, browser)
        session, user = signed_in
        if answer is not None:
            return _answered(auth, browser, session, user, answer)
        if "consent" in auth.prompt or not consents.remembered(
            session.sub, auth.client.client_id, auth.scopes
        ):
            if "none" in auth.prompt:
                raise ConsentRequired("The user has not consented to this client")
            return consent_page(auth, browser, session)
        return _with_cookies(authorize_response.respond(auth, session, user), browser)
    except Exception as exc:
        err = from_exception(exc)
        log_error(err, "authorize", exc)
        return _with_cookies(authorize_response.error(where, err), browser)


def _signed_in(
    auth: AuthorizationRequest, browser: sessions.Browser
) -> tuple[sessions.Session, Any] | None:
    """The session and its user, or None when the person must (again) sign in."""
    session = browser.session
    user = users.get_user(session.username) if session else None
    if session is not None and _fresh_enough(auth, session, user):
        return session, user
    if "none" in auth.prompt:
        raise LoginRequired("The user is not signed in")
    return None


def _fresh_enough(auth: AuthorizationRequest, session: sessions.Session, user: Any) -> bool:
    """A live session for an enabled user that meets prompt, max_age and id_token_hint."""
    if user is None or user.disabled or user.sub != session.sub:
        return False
    if auth.prompt & {"login", "select_account"} or auth.max_age == 0:
        return False  # OIDC Core §3.1.2.1: max_age=0 is prompt=login, even within a second
    if auth.max_age is not None and now() - session.auth_time > auth.max_age:
        return False
    return auth.hint_sub is None or auth.hint_sub == session.sub


def _to_login(auth: AuthorizationRequest, browser: sessions.Browser) -> Response:
    return_to = "/authorize?" + urlencode(carried(auth.params, fresh_login=True))
    location = login_url(return_to, auth.login_hint)
    return pages.redirect(location, headers=sessions.cookie_headers(browser))


def _answered(
    auth: AuthorizationRequest,
    browser: sessions.Browser,
    session: sessions.Session,
    user: Any,
    answer: Params,
) -> Response:
    if not sessions.csrf_ok(browser, FORM, answer.get("csrf_token")):
        return consent_page(auth, browser, session, error="This form has expired. Try again.")
    decision = answer.get("decision")
    if decision != "approve":
        raise AccessDenied("The user denied the request")
    if answer.get("remember"):
        consents.remember(session.sub, auth.client.client_id, auth.scopes)
    return _with_cookies(authorize_response.respond(auth, session, user), browser)


def consent_page(
    auth: AuthorizationRequest,
    browser: sessions.Browser,
    session: sessions.Session,
    error: str = "",
) -> Response:
    return pages.render(
        "consent.html",
        status=400 if error else 200,
        headers=sessions.cookie_headers(browser),
        client_name=auth.client.name,
        username=session.username,
        scopes=[consents.describe(s) for s in auth.scope.split()],
        hidden=carried(auth.params, fresh_login=True),
        csrf_token=sessions.csrf_token(browser, FORM),
        redirect_host=urlsplit(auth.target.redirect_uri).netloc or auth.target.redirect_uri,
        error=error,
    )


def _with_cookies(response: Response, browser: sessions.Browser) -> Response:
    response.headers.update(sessions.cookie_headers(browser))
    return response
