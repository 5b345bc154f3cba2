"""Fetching a client's JSON documents from the internet, safely: Client ID Metadata
Documents (draft-ietf-oauth-client-id-metadata-document §4) and `jwks_uri` (RFC 7591 §2).

A URL a stranger names is an SSRF vector (the draft's Security Considerations), so:
* only `https`, no userinfo; in the `local` stage also `http`/`https` on a loopback
  literal (127.0.0.1, [::1]) for tests, never on a deployed stage;
* the host is resolved here and every address must be public: private, loopback,
  link-local, multicast, reserved, unspecified, shared (100.64/10), documentation,
  site-local, and IPv4-mapped, -compatible, 6to4, NAT64 or Teredo forms are refused (an IP
  literal in the URL already when the URL is registered); the connection goes to the first
  checked address that answers (TLS still verifies the name, sent as SNI and Host), so a
  DNS answer cannot change between the check and the connect;
* no redirects (a 3xx is a failure), a JSON content type, no content coding (a gzip bomb
  is not unpacked), at most `max_bytes` read, a JSON object;
* one deadline, `OUTBOUND_TIMEOUT_SECONDS` (2 s), for the whole fetch: the DNS lookup,
  the connect, and every byte of the answer (a server trickling one byte a second is cut
  off), so a request that fetches a document, its `jwks_uri` and that again for a new
  `kid` still ends inside the Lambda's 10 s;
* answers are cached per URL for their `Cache-Control: max-age`, else their `Expires`,
  clamped to [`OUTBOUND_CACHE_MIN_SECONDS`, `OUTBOUND_CACHE_MAX_SECONDS`] (`no-store` and
  `no-cache` get the minimum); a failure for a minute; at most `OUTBOUND_CACHE_SIZE` URLs
  per container (LRU).
Lambda outside a VPC reaches the internet; no IAM permission is involved.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import json
import os
import re
import socket
import ssl
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as LookupTimeout
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from chalicelib.config import get_settings
from chalicelib.records.lru import LRU

LOOPBACK_LITERALS = {"127.0.0.1", "::1"}
FAILURE_TTL = 60
MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*\"?(\d+)", re.IGNORECASE)
NO_STORE = re.compile(r"(?:^|,)\s*no-(?:store|cache)\b", re.IGNORECASE)
# Beyond what ipaddress calls not global on every Python we run on: IPv6 ranges no
# public server answers from, or that tunnel to an IPv4 address we could not check.
NOT_PUBLIC_V6 = tuple(
    ipaddress.IPv6Network(network)
    for network in (
        "2001::/32",  # Teredo (RFC 4380)
        "2001:db8::/32",  # documentation (RFC 3849)
        "3fff::/20",  # documentation (RFC 9637)
        "fec0::/10",  # site-local (RFC 3879)
    )
)
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052: the last 32 bits are IPv4


class FetchError(Exception):
    """The document could not be had, or is not one we accept (the message says why)."""


_cache: LRU[tuple[float, dict[str, Any] | None, str]] = LRU()
_lookups: ThreadPoolExecutor | None = None


def reset_cache() -> None:
    _cache.clear()


def forget(url: str) -> None:
    """Drop one URL's cached answer (a client's keys rotated: its JWT names a new kid)."""
    _cache.pop(url)


def fetch_json(url: str, max_bytes: int) -> dict[str, Any]:
    """The JSON object at `url`, fetched under the rules above (cached); FetchError if not."""
    hit = _cache.get(url)
    if hit is not None and hit[0] > time.monotonic():
        if hit[1] is None:
            raise FetchError(hit[2])
        return hit[1]
    settings = get_settings()
    try:
        document, ttl = _fetch(url, max_bytes)
    except FetchError as exc:
        _cache.put(
            url, (time.monotonic() + FAILURE_TTL, None, str(exc)), settings.outbound_cache_size
        )
        raise
    _cache.put(url, (time.monotonic() + ttl, document, ""), settings.outbound_cache_size)
    return document


def check_url(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of a URL we may fetch; FetchError otherwise."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise FetchError("not a valid URL") from exc
    host = parts.hostname or ""
    local = get_settings().stage == "local" and host in LOOPBACK_LITERALS
    if parts.scheme != "https" and not (local and parts.scheme == "http"):
        raise FetchError("only https URLs are fetched")
    if not host or parts.username is not None or parts.password is not None or parts.fragment:
        raise FetchError("the URL must name a host, without userinfo or fragment")
    if not local and _is_literal(host) and not is_public(host):
        raise FetchError("the URL names an address that is not public")
    return parts.scheme, host, port or (443 if parts.scheme == "https" else 80)


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def is_public(address: str) -> bool:
    """Whether an address is one a fetch may reach (see the module docstring)."""
    if "%" in address:  # a zone index: an address of one link only
        return False
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if ip in NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return is_public(str(embedded))
        if any(ip in network for network in NOT_PUBLIC_V6):
            return False
    return ip.is_global and not (ip.is_multicast or ip.is_reserved)


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise FetchError("the fetch took too long")
    return left


def _addresses(host: str, port: int, deadline: float) -> list[str]:
    """Every address of `host`, all public (a loopback literal in the local stage)."""
    global _lookups
    if get_settings().stage == "local" and host in LOOPBACK_LITERALS:
        return [host]
    if _lookups is None:  # getaddrinfo has no timeout of its own: it waits in a thread
        _lookups = ThreadPoolExecutor(max_workers=4, thread_name_prefix="outbound-dns")
    lookup = _lookups.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    try:
        infos = lookup.result(timeout=_remaining(deadline))
    except LookupTimeout as exc:
        raise FetchError("the host did not resolve in time") from exc
    except (OSError, UnicodeError) as exc:
        raise FetchError("the host does not resolve") from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses or not all(is_public(address) for address in addresses):
        raise FetchError("the host resolves to an address that is not public")
    return addresses


def _fetch(url: str, max_bytes: int) -> tuple[dict[str, Any], float]:
    deadline = time.monotonic() + get_settings().outbound_timeout_seconds
    _, host, port = check_url(url)
    status, headers, body = _get(url, _addresses(host, port, deadline), max_bytes, deadline)
    if status != 200:
        raise FetchError(f"the server answered {status}")
    if len(body) > max_bytes:
        raise FetchError(f"the document is larger than {max_bytes} bytes")
    content_type = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
    if content_type != "application/json" and not content_type.endswith("+json"):
        raise FetchError("the document is not application/json")
    if (headers.get("Content-Encoding") or "identity").strip().lower() != "identity":
        raise FetchError("the document is content-encoded")
    try:
        document = json.loads(body)
    except ValueError as exc:
        raise FetchError("the document is not JSON") from exc
    if not isinstance(document, dict):
        raise FetchError("the document is not a JSON object")
    return document, _ttl(headers)


def _get(url: str, addresses: list[str], max_bytes: int, deadline: float) -> tuple[int, Any, bytes]:
    """GET `url` from the first of `addresses` (its host's, checked) that takes a connection:
    status, headers, and at most max_bytes + 1 bytes of the body."""
    scheme, host, port = check_url(url)
    target = urlsplit(url)
    path = (target.path or "/") + (f"?{target.query}" if target.query else "")
    headers = {"Host": target.netloc, "Accept": "application/json", "Accept-Encoding": "identity"}
    sock = _connect(addresses, port, deadline)
    # Each socket wait is bounded by the timeout; the watchdog bounds them all: at the
    # deadline it shuts the connection (through a duplicate of its descriptor, which TLS
    # wrapping leaves alone), and whatever read was waiting on it ends.
    switch = socket.socket(fileno=os.dup(sock.fileno()))
    watchdog = threading.Timer(max(deadline - time.monotonic(), 0), _shut, (switch,))
    connection = http.client.HTTPConnection(host, port)  # on `sock`: it never connects itself
    try:
        watchdog.start()
        connection.sock = (
            _tls().wrap_socket(sock, server_hostname=host) if scheme == "https" else sock
        )
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, response.headers, response.read(max_bytes + 1)
    except (OSError, http.client.HTTPException, ValueError) as exc:
        raise _failure(exc, deadline) from exc
    finally:
        watchdog.cancel()
        switch.close()
        sock.close()
        connection.close()


def _connect(addresses: list[str], port: int, deadline: float) -> socket.socket:
    """A connection to the first address that answers (an IPv6 address first in DNS's order
    may be unreachable from Lambda), all within the deadline."""
    failure: OSError = OSError("no address")
    for address in addresses:
        try:
            return socket.create_connection((address, port), timeout=_remaining(deadline))
        except OSError as exc:
            failure = exc
    raise _failure(failure, deadline)


def _failure(exc: Exception, deadline: float) -> FetchError:
    if time.monotonic() >= deadline:
        return FetchError("the fetch took too long")
    return FetchError(f"the fetch failed: {type(exc).__name__}")


def _shut(switch: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed
        switch.shutdown(socket.SHUT_RDWR)


@lru_cache(maxsize=1)
def _tls() -> ssl.SSLContext:
    """Certificates and the host name verified against the system's trust store."""
    return ssl.create_default_context()


def _ttl(headers: Any) -> float:
    """How long to keep an answer: max-age, else Expires (against Date), within bounds."""
    settings = get_settings()
    low, high = settings.outbound_cache_min_seconds, settings.outbound_cache_max_seconds
    cache_control = headers.get("Cache-Control") or ""
    if NO_STORE.search(cache_control):
        return low
    match = MAX_AGE.search(cache_control)
    seconds = int(match.group(1)) if match else _expires_in(headers)
    return float(min(max(low if seconds is None else seconds, low), high))


def _expires_in(headers: Any) -> int | None:
    """Expires - Date (RFC 9111 §4.2.1); 0 for an invalid Expires (§5.3) or no Date (our
    own clock is not the server's: without its Date we keep the answer the minimum)."""
    expires = headers.get("Expires")
    if expires is None:
        return None
    try:
        until = parsedate_to_datetime(expires)
        since = parsedate_to_datetime(headers.get("Date") or "")
        return int((until - since).total_seconds())
    except (TypeError, ValueError):  # unparsable, or one with a zone and one without
        return 0
