"""The authorization response: what is minted and how it travels back.

RFC 6749 §4.1.2/§4.2.2, OAuth 2.0 Multiple Response Type Encoding Practices (query,
fragment), OAuth 2.0 Form Post Response Mode, RFC 9207 (`iss` in every response, errors
too), OIDC Core §3.3.2.5 (hybrid). Decisions: query only for `code`; form_post is an
auto-submitting page whose button works without JavaScript; redirects are 302 with
`no-store` and no Referer. A front-channel access token is for every resource granted
(RFC 8707 §2; DEFAULT_AUDIENCE when none was asked). Profile and email claims go in the
ID token only when it is the only thing returned (`response_type=id_token`); otherwise
the client reads userinfo. The access token of `code token` is minted first and its jti
recorded with the code, so a replay of the code revokes it too (RFC 6749 §4.1.2).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from chalice import Response

from chalicelib import observability, pages
from chalicelib.config import get_settings
from chalicelib.endpoints.authorize_request import AuthorizationRequest, ClientRedirect
from chalicelib.errors import OAuthError
from chalicelib.grants.common import aud_claim
from chalicelib.models import now
from chalicelib.records import authorization_codes, users
from chalicelib.records.sessions import Session
from chalicelib.records.users import User
from chalicelib.tokens.access_tokens import IssuedToken, issue_access_token
from chalicelib.tokens.id_tokens import issue_id_token


def respond(auth: AuthorizationRequest, session: Session, user: User) -> Response:
    """Mint what the response_type asks for and deliver it."""
    at = now()
    fields: dict[str, Any] = {}
    code = access = None
    if "token" in auth.response_type:  # before the code, which records its jti
        access = issue_access_token(
            client=auth.client,
            sub=session.sub,
            scope=auth.scope,
            audience=aud_claim(auth.resources),
            auth_time=session.auth_time,
            amr=session.amr,
            now=at,
        )
        fields.update(
            access_token=access.token,
            token_type="Bearer",
            expires_in=access.expires_in,
            scope=auth.scope,
        )
    if "code" in auth.response_type:
        code = authorization_codes.issue(_code_grant(auth, session, access))
        fields["code"] = code
    if "id_token" in auth.response_type:
        only_id_token = auth.response_type == {"id_token"}
        fields["id_token"] = issue_id_token(
            client=auth.client,
            sub=session.sub,
            auth_time=session.auth_time,
            now=at,
            nonce=auth.nonce,
            sid=session.sid,
            amr=session.amr,
            access_token=access.token if access else None,
            code=code,
            extra_claims=users.claims_for(user, auth.scopes) if only_id_token else None,
        )
    _count_front_channel(fields)
    return deliver(auth.redirect, fields)


def _count_front_channel(fields: dict[str, str]) -> None:
    """Tokens sent from /authorize (implicit and hybrid) count under the implicit grant."""
    if "access_token" in fields or "id_token" in fields:
        observability.count(observability.TOKENS_ISSUED, grant_type="implicit")


def _code_grant(
    auth: AuthorizationRequest, session: Session, access: IssuedToken | None
) -> authorization_codes.CodeGrant:
    return authorization_codes.CodeGrant(
        client_id=auth.client.client_id,
        redirect_uri=auth.redirect.redirect_uri,
        redirect_uri_given=auth.redirect.redirect_uri_given,
        scope=auth.scope,
        sub=session.sub,
        auth_time=session.auth_time,
        sid=session.sid,
        nonce=auth.nonce,
        code_challenge=auth.code_challenge,
        code_challenge_method=auth.code_challenge_method,
        resources=auth.resources,
        front_channel_jti=access.jti if access else None,
        front_channel_exp=access.exp if access else None,
        username=session.username,
        amr=session.amr,
    )


def error(redirect: ClientRedirect, err: OAuthError) -> Response:
    """An error back to the client (RFC 6749 §4.1.2.1), with state and iss."""
    observability.note(error=err.error)
    return deliver(redirect, err.body())


def deliver(redirect: ClientRedirect, fields: dict[str, Any]) -> Response:
    answer = [(name, str(value)) for name, value in fields.items()]
    if redirect.state is not None:
        answer.append(("state", redirect.state))
    answer.append(("iss", get_settings().issuer))
    if redirect.response_mode == "form_post":
        return pages.render("form_post.html", redirect_uri=redirect.redirect_uri, fields=answer)
    location = _add_to_uri(redirect.redirect_uri, answer, redirect.response_mode)
    return pages.redirect(location)


def _add_to_uri(uri: str, answer: list[tuple[str, str]], mode: str) -> str:
    """The redirect URI with the answer in its fragment or appended to its query."""
    parts = urlsplit(uri)
    encoded = urlencode(answer)
    if mode == "fragment":
        return urlunsplit(parts._replace(fragment=encoded))
    query = f"{parts.query}&{encoded}" if parts.query else encoded
    return urlunsplit(parts._replace(query=query))
