"""The authorization endpoint (GET and POST /authorize) and the consent form's answer.

RFC 6749 §3.1 and §4.1-§4.2, OIDC Core §3.1.2 (prompt, max_age, id_token_hint), §3.1.2.4.
One straight line of steps, each called once:
parse (duplicates refused) -> client_redirect: client_id and redirect_uri (failure: the
error page, never a redirect) -> validate the rest into one AuthorizationRequest -> who is
signed in (prompt=none gets login_required; otherwise the login page, returning here) ->
a second factor if the client (`require_mfa`), the person or acr_values needs a
multi-factor sign-in and the session is not one (endpoints/second_factor.py; prompt=none
gets login_required) -> consent (remembered, answered, asked, or consent_required for
prompt=none) -> respond.
`id_token_hint` travels through login and consent and is checked each time the request
arrives with a session (an existing one, just after login, with the consent answer): a
person other than the hinted one gets login_required, never a code or token.
Every failure after the client_redirect step, AWS faults included, is redirected to the
client with `state` and `iss`.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from chalice import Response
from chalice.app import Request

from chalicelib import pages
from chalicelib.endpoints import authorize_response, second_factor
from chalicelib.endpoints.authorize_request import (
    AuthorizationRequest,
    carried,
    client_redirect,
    validate,
)
from chalicelib.endpoints.login import login_url
from chalicelib.errors import AccessDenied, ConsentRequired, LoginRequired
from chalicelib.http import Params, form_params, from_exception, log_error, query_params
from chalicelib.models import now
from chalicelib.pages import cookies
from chalicelib.pages.cookies import Browser
from chalicelib.records import consents, users
from chalicelib.records.sessions import Session
from chalicelib.records.users import User

CSRF_FORM = "consent"
CONSENT_FIELDS = ("decision", "remember", "csrf_token")
EXPIRED_FORM = "This form has expired. Try again."


def handle(request: Request) -> Response:
    params = form_params(request) if request.method == "POST" else query_params(request)
    return authorize(request, params)


def consent(request: Request) -> Response:
    """The consent form's answer: the original request plus decision, remember, csrf_token."""
    form = form_params(request)
    params = Params(
        {k: v for k, v in form.values.items() if k not in CONSENT_FIELDS},
        form.repeated,
        form.source_ip,
    )
    return authorize(request, params, answer=form)


def authorize(request: Request, params: Params, answer: Params | None = None) -> Response:
    redirect = client_redirect(params)
    browser = cookies.from_request(request)
    try:
        auth = validate(params, redirect)
        signed_in = who_is_signed_in(auth, browser)
        if signed_in is None:
            return _to_login(auth, browser)
        session, user = signed_in
        if second_factor.needs_step_up(
            session, user, client_requires=auth.client.require_mfa, acr_values=auth.acr_values
        ):
            if "none" in auth.prompt:
                raise LoginRequired("The request needs a second factor")
            return_to = "/authorize?" + urlencode(carried(auth.params, fresh_login=True))
            return second_factor.step_up(browser, session, user, return_to)
        consent_page = ask_consent(auth, browser, session, answer)
        if consent_page is not None:
            return consent_page
        response = authorize_response.respond(auth, session, user)
    except Exception as exc:
        err = from_exception(exc)
        log_error(err, "authorize", exc)
        response = authorize_response.error(redirect, err)
    response.headers.update(cookies.cookie_headers(browser))
    return response


def who_is_signed_in(auth: AuthorizationRequest, browser: Browser) -> tuple[Session, User] | None:
    """The session and its person, or None when the person must (again) sign in."""
    session = browser.session
    user = users.active(session.username, sub=session.sub) if session else None
    if session is not None and user is not None and _fresh_enough(auth, session):
        if auth.hint_sub is not None and auth.hint_sub != session.sub:
            raise LoginRequired("The signed-in user is not the one id_token_hint names")
        return session, user
    if "none" in auth.prompt:
        raise LoginRequired("The user is not signed in")
    return None


def _fresh_enough(auth: AuthorizationRequest, session: Session) -> bool:
    """A session that meets prompt and max_age."""
    if auth.prompt & {"login", "select_account"} or auth.max_age == 0:
        return False  # OIDC Core §3.1.2.1: max_age=0 is prompt=login, even within a second
    return auth.max_age is None or now() - session.auth_time <= auth.max_age


def ask_consent(
    auth: AuthorizationRequest, browser: Browser, session: Session, answer: Params | None
) -> Response | None:
    """None when the person has consented (now or remembered); else the consent page."""
    if answer is not None:
        if not cookies.csrf_ok(browser, CSRF_FORM, answer.get("csrf_token")):
            return consent_page(auth, browser, session, error=EXPIRED_FORM)
        if answer.get("decision") != "approve":
            raise AccessDenied("The user denied the request")
        if answer.get("remember"):
            consents.remember(session.sub, auth.client.client_id, auth.scopes)
        return None
    asked_again = "consent" in auth.prompt
    if not asked_again and consents.remembered(session.sub, auth.client.client_id, auth.scopes):
        return None
    if "none" in auth.prompt:
        raise ConsentRequired("The user has not consented to this client")
    return consent_page(auth, browser, session)


def _to_login(auth: AuthorizationRequest, browser: Browser) -> Response:
    return_to = "/authorize?" + urlencode(carried(auth.params, fresh_login=True))
    location = login_url(return_to, auth.login_hint)
    return pages.redirect(location, headers=cookies.cookie_headers(browser))


def consent_page(
    auth: AuthorizationRequest, browser: Browser, session: Session, error: str = ""
) -> Response:
    return pages.render(
        "consent.html",
        status=400 if error else 200,
        headers=cookies.cookie_headers(browser),
        client_name=auth.client.name,
        registered_by=auth.client.registered_by,
        client_site=auth.client.claimed_site,
        username=session.username,
        scopes=[consents.describe(s) for s in auth.scope.split()],
        resources=auth.resources,
        hidden=carried(auth.params, fresh_login=True),
        csrf_token=cookies.csrf_token(browser, CSRF_FORM),
        redirect_host=urlsplit(auth.redirect.redirect_uri).netloc or auth.redirect.redirect_uri,
        error=error,
    )
