"""Our HTML pages: rendering (Jinja2, autoescaped), redirects, the security headers every
page sends, and `page_errors`, the decorator that answers a page route's failures with the
error page. The templates are in templates/; cookies and CSRF are cookies.py's.

OWASP clickjacking and CSP guidance; RFC 9700 §4.16 (clickjacking of the authorization
page). Decisions: every page sends `X-Frame-Options: DENY`, a CSP with `frame-ancestors
'none'` that allows only inline style and script carrying this response's nonce (nothing
from anywhere else, no third-party resources), `Referrer-Policy: no-referrer`, `nosniff`
and `Cache-Control: no-store`. No `form-action`: browsers apply it to the redirect that
follows a form post, which would block the redirect back to the client.
Page routes use `page_errors`: a failure renders the error page, never JSON or a bare 500.
"""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Any

from chalice import Response

from chalicelib.config import get_settings
from chalicelib.errors import NO_STORE, OAuthError
from chalicelib.http import answering_errors

TEMPLATES = Path(__file__).resolve().parent / "templates"
HTML = "text/html; charset=utf-8"


@lru_cache(maxsize=1)
def _environment() -> Any:
    # jinja2 costs ~27 ms of CPU on a cold start (bench/): only a container that renders
    # a page loads it, so JSON routes never pay for it.
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    return Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def security_headers(nonce: str) -> dict[str, str]:
    csp = (
        f"default-src 'none'; style-src 'nonce-{nonce}'; script-src 'nonce-{nonce}'; "
        "img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'"
    )
    return {
        "Content-Type": HTML,
        "Content-Security-Policy": csp,
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        **NO_STORE,
    }


def render(
    template: str,
    *,
    status: int = 200,
    headers: dict[str, Any] | None = None,
    **context: Any,
) -> Response:
    """Render `templates/<template>` (autoescaped) with the security headers."""
    nonce = secrets.token_urlsafe(16)
    context.setdefault("issuer", get_settings().issuer)
    body = _environment().get_template(template).render(nonce=nonce, **context)
    return Response(
        body, status_code=status, headers={**security_headers(nonce), **(headers or {})}
    )


def redirect(
    location: str, *, status: int = 302, headers: dict[str, Any] | None = None
) -> Response:
    """A redirect that no cache keeps and that leaks no Referer."""
    all_headers = {
        "Location": location,
        "Content-Type": HTML,
        "Referrer-Policy": "no-referrer",
        **NO_STORE,
        **(headers or {}),
    }
    return Response("", status_code=status, headers=all_headers)


def error_page(err: OAuthError) -> Response:
    """The error page: the RFC error code and its public description, never its detail."""
    return render(
        "error.html",
        status=err.status_code,
        headers=err.headers,
        error=err.error,
        description=err.description,
    )


# Page routes answer every failure with the error page, never JSON or a bare 500.
page_errors = answering_errors(error_page)
