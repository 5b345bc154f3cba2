"""OAuth errors: one class per RFC error code (exceptions only).

RFC 6749 §5.2 (token endpoint), §4.1.2.1 (authorization endpoint), RFC 6750 §3.1 (bearer),
RFC 8628 §3.5 (device polling), RFC 7009 §2.2.1, RFC 8707 §2, RFC 7591 §3.2.2
(registration), OIDC Core §3.1.2.6. Nothing below app.py raises anything but these.
`description` is public; `detail` is logged only. How an error is answered (JSON or a
page) is decided by the decorators in http.py and pages/.
"""

from __future__ import annotations

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
            # §5.2: only %x20-21 / %x23-5B / %x5D-7E; a description may quote the request.
            body["error_description"] = "".join(
                c if " " <= c <= "~" and c not in '"\\' else "?" for c in self.description
            )
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


class RateLimited(TemporarilyUnavailable):
    """RFC 6585 §4: this caller is over its own rate limit (records/quotas.py), not the server
    down: 429 with Retry-After, in RFC 6749 §5.2 form with the registered code
    `temporarily_unavailable`, which clients already treat as "retry later"."""

    status_code = 429


class NotFound(OAuthError):
    """No such document here (a well-known path for another issuer): 404, JSON."""

    error = "not_found"
    status_code = 404


class InvalidClientMetadata(OAuthError):
    """RFC 7591 §3.2.2: a metadata field is invalid (the admin CLI reports it too)."""

    error = "invalid_client_metadata"


class InvalidRedirectUri(InvalidClientMetadata):
    error = "invalid_redirect_uri"
