"""OAuth errors: one class per RFC error code, and the one decorator that answers them.

RFC 6749 §5.2 (token endpoint), §4.1.2.1 (authorization endpoint), RFC 6750 §3.1 (bearer),
RFC 8628 §3.5 (device polling), RFC 7009 §2.2.1, RFC 8707 §2, OIDC Core §3.1.2.6.
Nothing below app.py raises anything but these. `description` is public; `detail` is logged
only. AWS faults (DynamoDB, KMS) become 503 temporarily_unavailable; anything else
unexpected is logged and answered as a generic server_error.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from typing import Any

logger = logging.getLogger("gatehouse")

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class OAuthError(Exception):
    error = "invalid_request"
    status_code = 400

    def __init__(self, description: str = "", *, detail: str = "", status_code: int | None = None):
        super().__init__(description or self.error)
        self.description = description
        self.detail = detail
        if status_code is not None:
            self.status_code = status_code
        self.headers: dict[str, str] = {}

    def body(self) -> dict[str, str]:
        body = {"error": self.error}
        if self.description:
            body["error_description"] = self.description
        return body


class InvalidRequest(OAuthError):
    error = "invalid_request"


class InvalidClient(OAuthError):
    error = "invalid_client"

    def __init__(self, description: str = "", *, basic: bool = False, detail: str = ""):
        # RFC 6749 §5.2: 401 with a challenge when the client tried the Authorization header.
        super().__init__(description, detail=detail, status_code=401 if basic else 400)
        if basic:
            self.headers["WWW-Authenticate"] = 'Basic realm="gatehouse", charset="UTF-8"'


class InvalidGrant(OAuthError):
    error = "invalid_grant"


class UnauthorizedClient(OAuthError):
    error = "unauthorized_client"


class UnsupportedGrantType(OAuthError):
    error = "unsupported_grant_type"


class UnsupportedResponseType(OAuthError):
    error = "unsupported_response_type"


class UnsupportedTokenType(OAuthError):
    error = "unsupported_token_type"


class InvalidScope(OAuthError):
    error = "invalid_scope"


class InvalidTarget(OAuthError):
    error = "invalid_target"


class AccessDenied(OAuthError):
    error = "access_denied"


class AuthorizationPending(OAuthError):
    error = "authorization_pending"


class SlowDown(OAuthError):
    error = "slow_down"


class ExpiredToken(OAuthError):
    error = "expired_token"


class LoginRequired(OAuthError):
    error = "login_required"


class ConsentRequired(OAuthError):
    error = "consent_required"


class InteractionRequired(OAuthError):
    error = "interaction_required"


class RequestNotSupported(OAuthError):
    error = "request_not_supported"


class RequestUriNotSupported(OAuthError):
    error = "request_uri_not_supported"


class InvalidToken(OAuthError):
    """RFC 6750 §3.1: answered with a Bearer challenge, never with the token's details."""

    error = "invalid_token"
    status_code = 401

    def __init__(self, description: str = "", *, detail: str = "", status_code: int | None = None):
        super().__init__(description, detail=detail, status_code=status_code)
        challenge = f'Bearer error="{self.error}"'
        if description:
            challenge += f', error_description="{description}"'
        self.headers["WWW-Authenticate"] = challenge


class InsufficientScope(InvalidToken):
    error = "insufficient_scope"
    status_code = 403


class ServerError(OAuthError):
    error = "server_error"
    status_code = 500


class TemporarilyUnavailable(OAuthError):
    error = "temporarily_unavailable"
    status_code = 503

    def __init__(self, description: str = "", *, detail: str = "", retry_after: int = 2):
        super().__init__(description or "Please retry shortly.", detail=detail)
        self.headers["Retry-After"] = str(retry_after)


def from_exception(exc: BaseException) -> OAuthError:
    """Map any exception to the OAuthError a client may see."""
    if isinstance(exc, OAuthError):
        return exc
    if _is_aws_fault(exc):
        return TemporarilyUnavailable(detail=f"{type(exc).__name__}: {exc}")
    return ServerError("The server could not complete the request.", detail=repr(exc))


def _is_aws_fault(exc: BaseException) -> bool:
    from botocore.exceptions import BotoCoreError, ClientError
    from pynamodb.exceptions import PynamoDBException

    return isinstance(exc, BotoCoreError | ClientError | PynamoDBException)


def log_error(err: OAuthError, where: str, exc: BaseException | None = None) -> None:
    if err.status_code >= 500:
        logger.error("%s: %s %s", where, err.error, err.detail, exc_info=exc is not err)
    elif err.detail:
        logger.info("%s: %s %s", where, err.error, err.detail)


def answering_errors(respond: Callable[[OAuthError], Any]) -> Callable[..., Any]:
    """A view decorator that answers every failure with `respond(err)`, never a bare 500."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return view(*args, **kwargs)
            except Exception as exc:
                err = from_exception(exc)
                log_error(err, view.__name__, exc)
                return respond(err)

        return wrapper

    return decorate


def _json_error(err: OAuthError) -> Any:
    from chalice import Response

    headers = {"Content-Type": "application/json", **NO_STORE, **err.headers}
    return Response(json.dumps(err.body()), status_code=err.status_code, headers=headers)


# JSON endpoints answer RFC 6749 §5.2 bodies.
json_errors = answering_errors(_json_error)


def _error_page(err: OAuthError) -> Any:
    from chalicelib.pages import error_page

    return error_page(err.status_code, err.error, err.description, err.headers)


# Page routes answer every failure with the HTML error page (loaded only when one is shown).
page_errors = answering_errors(_error_page)
