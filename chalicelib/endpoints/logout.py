"""RP-Initiated Logout 1.0 (§2, §3): end the session, then return to the client if asked.

Decisions:
* `post_logout_redirect_uri` is followed only when it exactly matches one the client
  registered; the client is named by `client_id` or by the `id_token_hint` audience (both
  must agree). Anything else shows the error page and never redirects. `state` goes back.
* A GET ends the session at once only with an `id_token_hint` for the signed-in user (the
  client holds that person's ID token); otherwise the person confirms on a CSRF-protected
  form, so a cross-site link cannot sign anyone out (§2: the OP SHOULD ask).
* A POST with the client's parameters and without our CSRF token is a client's logout
  request (§2: GET and POST). Its parameters are checked as a GET's, then it is answered
  with a 303 to the same request as a GET: a cross-site POST carries no SameSite=Lax
  session cookie, the GET does, and a POST can then do nothing a link could not.
  A POST with a `csrf_token` is our confirmation form, and must carry a valid one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from chalice import Response
from chalice.app import Request

from chalicelib import pages
from chalicelib.config import get_settings
from chalicelib.errors import InvalidRequest
from chalicelib.http import Params, form_params, query_params
from chalicelib.pages import cookies
from chalicelib.pages.cookies import Browser
from chalicelib.records import clients
from chalicelib.tokens.verification import audiences, verify_id_token_hint

CSRF_FORM = "logout"
PASSED_ON = ("id_token_hint", "post_logout_redirect_uri", "state", "client_id")


@dataclass(frozen=True)
class PostLogoutRedirect:
    uri: str
    state: str | None

    def location(self) -> str:
        if not self.state:
            return self.uri
        separator = "&" if "?" in self.uri else "?"
        return f"{self.uri}{separator}{urlencode({'state': self.state})}"


def handle(request: Request) -> Response:
    is_post = request.method == "POST"
    params = form_params(request) if is_post else query_params(request)
    browser = cookies.from_request(request)
    hint = _hint(params)
    redirect, client_name = _post_logout_redirect(params, hint)
    if is_post and _rp_initiated(params):
        return _as_get(params, browser)
    if is_post and not cookies.csrf_ok(browser, CSRF_FORM, params.get("csrf_token")):
        return _confirm(browser, params, client_name, error="This form has expired. Try again.")
    if not is_post and browser.session is not None and not _hint_matches(hint, browser):
        return _confirm(browser, params, client_name)
    cookies.sign_out(browser)
    headers = cookies.cookie_headers(browser)
    if redirect is not None:
        return pages.redirect(redirect.location(), headers=headers)
    return pages.render("logged_out.html", headers=headers)


def _rp_initiated(params: Params) -> bool:
    """A client's logout request (its parameters, not our form's CSRF token)."""
    return "csrf_token" not in params and any(name in params for name in PASSED_ON)


def _as_get(params: Params, browser: Browser) -> Response:
    """The same request as a GET: the session cookie (SameSite=Lax) comes with it, and
    the GET's confirmation rules apply unchanged."""
    passed_on = [(name, params.get(name)) for name in PASSED_ON if params.get(name)]
    location = f"{get_settings().issuer}/logout?{urlencode(passed_on)}"
    return pages.redirect(location, status=303, headers=cookies.cookie_headers(browser))


def _hint(params: Params) -> dict[str, Any] | None:
    raw = params.get("id_token_hint")
    return verify_id_token_hint(raw) if raw else None


def _hint_matches(hint: dict[str, Any] | None, browser: Browser) -> bool:
    session = browser.session
    if hint is None or session is None or hint["sub"] != session.sub:
        return False
    return "sid" not in hint or hint["sid"] == session.sid


def _post_logout_redirect(
    params: Params, hint: dict[str, Any] | None
) -> tuple[PostLogoutRedirect | None, str]:
    """Where to go afterwards (None: show the signed-out page) and the client's name."""
    client_id = params.get("client_id")
    if hint is not None:
        hinted = audiences(hint)
        if client_id and client_id not in hinted:
            raise InvalidRequest("client_id does not match the id_token_hint")
        client_id = client_id or hint.get("azp") or hinted[0]
    client = clients.get_client(client_id) if client_id else None
    if client_id and client is None:
        raise InvalidRequest("Unknown client")
    uri = params.get("post_logout_redirect_uri")
    if uri is None:
        return None, client.name if client else ""
    if client is None:
        raise InvalidRequest("post_logout_redirect_uri needs client_id or id_token_hint")
    if uri not in client.post_logout_redirect_uris:
        raise InvalidRequest("post_logout_redirect_uri is not registered for this client")
    return PostLogoutRedirect(uri, params.get("state")), client.name


def _confirm(browser: Browser, params: Params, client_name: str, error: str = "") -> Response:
    hidden = [(name, params.get(name)) for name in PASSED_ON if params.get(name)]
    session = browser.session
    return pages.render(
        "logout.html",
        status=400 if error else 200,
        headers=cookies.cookie_headers(browser),
        csrf_token=cookies.csrf_token(browser, CSRF_FORM),
        hidden=hidden,
        client_name=client_name,
        username=session.username if session else "",
        error=error,
    )
