"""HTTP in and out: form, query and Basic-auth parsing, JSON responses, the error decorators.

RFC 6749 §3.1/§3.2: parameters sent without a value are treated as omitted and no
parameter may appear twice (RFC 8707 `resource` is the one that may repeat). Bodies must be
`application/x-www-form-urlencoded` UTF-8 (§B); anything else is `invalid_request` (415 for
another media type). §2.3.1: Basic credentials are form-urlencoded before base64.
Errors (§5.2): a view decorated with `json_errors` answers every failure as RFC JSON; AWS
faults (DynamoDB, KMS) become 503 temporarily_unavailable, anything else unexpected a
generic server_error whose detail is only logged. `answering_errors` is the one machinery
behind it and behind the pages' decorator (pages/); it notes the error code on the
request's log line, which counts it in the Errors metric (observability.py).
Transport security (RFC 6797): `strict_transport_security`, the one middleware that gives
every response, pages and errors alike, `Strict-Transport-Security` when the issuer is
https (two years, subdomains included); never on an http issuer (the loopback of `make
run`), where a browser would ignore it and a mistaken one could pin a developer's host.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

from botocore.exceptions import BotoCoreError, ClientError
from chalice import Response
from chalice.app import Request
from pynamodb.exceptions import PynamoDBException

from chalicelib import observability
from chalicelib.config import get_settings
from chalicelib.errors import (
    NO_STORE,
    InvalidClient,
    InvalidRequest,
    OAuthError,
    ServerError,
    TemporarilyUnavailable,
)

logger = logging.getLogger("gatehouse")

FORM_TYPE = "application/x-www-form-urlencoded"
REPEATABLE = frozenset({"resource"})
MAX_FIELDS = 64


@dataclass(frozen=True)
class Params:
    """Single-valued parameters, plus the repeatable ones as lists."""

    values: dict[str, str]
    repeated: dict[str, list[str]] = field(default_factory=dict)
    source_ip: str = ""

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.values.get(name, default)

    def require(self, name: str) -> str:
        value = self.values.get(name)
        if not value:
            raise InvalidRequest(f"Missing parameter: {name}")
        return value

    def __contains__(self, name: str) -> bool:
        return name in self.values or name in self.repeated


def _collect(pairs: list[tuple[str, str]], source_ip: str) -> Params:
    values: dict[str, str] = {}
    repeated: dict[str, list[str]] = {}
    seen: set[str] = set()
    for name, value in pairs:
        if name in REPEATABLE:
            if value:
                repeated.setdefault(name, []).append(value)
            continue
        if name in seen:
            raise InvalidRequest(f"Parameter repeated: {name[:40]}")
        seen.add(name)
        if value:
            values[name] = value
    return Params(values, repeated, source_ip)


def source_ip(request: Request) -> str:
    identity = (request.context or {}).get("identity") or {}
    return identity.get("sourceIp") or ""


def form_params(request: Request) -> Params:
    """Parse a form body strictly; never raises anything but InvalidRequest."""
    content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    body: bytes = request.raw_body or b""
    if content_type and content_type != FORM_TYPE:
        raise InvalidRequest(f"Content-Type must be {FORM_TYPE}", status_code=415)
    if len(body) > get_settings().max_body_bytes:
        raise InvalidRequest("Request body too large", status_code=413)
    try:
        text = body.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FIELDS, errors="strict")
    except UnicodeDecodeError as exc:
        raise InvalidRequest("Request body is not UTF-8") from exc
    except ValueError as exc:
        raise InvalidRequest("Too many parameters") from exc
    return _collect(pairs, source_ip(request))


def query_params(request: Request) -> Params:
    """Parse the query string with the same rules as a form body."""
    multi = request.query_params
    pairs: list[tuple[str, str]] = []
    if multi:
        for name in multi:
            pairs.extend((name, value) for value in multi.getlist(name))
    if len(pairs) > MAX_FIELDS:
        raise InvalidRequest("Too many parameters")
    return _collect(pairs, source_ip(request))


def basic_credentials(request: Request) -> tuple[str, str] | None:
    """The (client_id, secret) of an `Authorization: Basic` header, or None if absent."""
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic":
        raise InvalidClient("Unsupported authorization scheme", basic=True)
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidClient("Malformed Basic credentials", basic=True) from exc
    client_id, sep, secret = decoded.partition(":")
    if not sep or not client_id:
        raise InvalidClient("Malformed Basic credentials", basic=True)
    return unquote_plus(client_id), unquote_plus(secret)


def json_response(
    body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """A JSON response that no cache may keep (RFC 6749 §5.1)."""
    all_headers = {"Content-Type": "application/json", **NO_STORE, **(headers or {})}
    return Response(json.dumps(body), status_code=status, headers=all_headers)


def public_json(body: dict[str, Any], max_age: int = 300) -> Response:
    """A JSON document any cache may keep (discovery, JWKS)."""
    headers = {"Content-Type": "application/json", "Cache-Control": f"public, max-age={max_age}"}
    return Response(json.dumps(body), status_code=200, headers=headers)


def from_exception(exc: BaseException) -> OAuthError:
    """Map any exception to the OAuthError a client may see."""
    if isinstance(exc, OAuthError):
        return exc
    if _is_aws_fault(exc):
        return TemporarilyUnavailable(detail=f"{type(exc).__name__}: {exc}")
    return ServerError("The server could not complete the request.", detail=repr(exc))


def _is_aws_fault(exc: BaseException) -> bool:
    return isinstance(exc, BotoCoreError | ClientError | PynamoDBException)


def log_error(err: OAuthError, where: str, exc: BaseException | None = None) -> None:
    if err.status_code >= 500:
        logger.error("%s: %s %s", where, err.error, err.detail, exc_info=exc is not err)
    elif err.detail:
        logger.info("%s: %s %s", where, err.error, err.detail)


def answering_errors(respond: Callable[[OAuthError], Response]) -> Callable[..., Any]:
    """A view decorator that answers every failure with `respond(err)`, never a bare 500."""

    def decorate(view: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Response:
            try:
                return view(*args, **kwargs)
            except Exception as exc:
                err = from_exception(exc)
                log_error(err, view.__name__, exc)
                observability.note(error=err.error)
                return respond(err)

        return wrapper

    return decorate


def error_response(err: OAuthError) -> Response:
    """RFC 6749 §5.2: the error as JSON, with the error's own headers (challenges, Retry-After)."""
    return json_response(err.body(), err.status_code, err.headers)


# JSON endpoints answer RFC 6749 §5.2 bodies.
json_errors = answering_errors(error_response)

HSTS = "max-age=63072000; includeSubDomains"


def strict_transport_security(
    request: Request, get_response: Callable[[Request], Response]
) -> Response:
    """Chalice HTTP middleware: HSTS on every response of an https issuer (RFC 6797 §6.1)."""
    response = get_response(request)
    if _issuer_is_https():
        response.headers["Strict-Transport-Security"] = HSTS
    return response


def _issuer_is_https() -> bool:
    try:
        return get_settings().issuer.startswith("https://")
    except RuntimeError:  # no issuer at all (not configured, not behind API Gateway)
        return False
