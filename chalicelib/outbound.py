"""Fetching a client's JSON documents from the internet, safely: Client ID Metadata
Documents (draft-ietf-oauth-client-id-metadata-document §4) and, later, `jwks_uri`.

A URL a stranger names is an SSRF vector (RFC 9700 §4.15, the draft's §6), so:
* only `https`, no userinfo; in the `local` stage also `http`/`https` on a loopback
  literal (127.0.0.1, [::1]) for tests, never on a deployed stage;
* the host is resolved here and every address must be public: private, loopback,
  link-local, multicast, reserved, unspecified, shared (100.64/10) and IPv4-mapped or
  NAT64 forms of those are refused; the connection goes to the address checked (TLS still
  verifies the name), so a DNS answer cannot change between the check and the connect;
* no redirects (a 3xx is a failure), `OUTBOUND_TIMEOUT_SECONDS` to connect and to read,
  at most `max_bytes` read, a JSON content type, a JSON object;
* answers are cached per URL for their `Cache-Control: max-age` clamped to
  [`OUTBOUND_CACHE_MIN_SECONDS`, `OUTBOUND_CACHE_MAX_SECONDS`]; a failure for a minute;
  at most `OUTBOUND_CACHE_SIZE` URLs per container (LRU).
Lambda outside a VPC reaches the internet; no IAM permission is involved.
"""

from __future__ import annotations

import ipaddress
import json
import re
import socket
import time
from typing import Any
from urllib.parse import urlsplit

from chalicelib.config import get_settings
from chalicelib.records.lru import LRU

LOOPBACK_LITERALS = {"127.0.0.1", "::1"}
FAILURE_TTL = 60
MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*(\d+)", re.IGNORECASE)
NO_STORE = re.compile(r"(?:^|,)\s*no-(?:store|cache)\b", re.IGNORECASE)


class FetchError(Exception):
    """The document could not be had, or is not one we accept (the message says why)."""


_cache: LRU[tuple[float, dict[str, Any] | None, str]] = LRU()


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
    return parts.scheme, host, port or (443 if parts.scheme == "https" else 80)


def is_public(address: str) -> bool:
    """Whether an address is one a fetch may reach (see the module docstring)."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is not None:
            return is_public(str(embedded))
        if ip in ipaddress.ip_network("64:ff9b::/96"):  # NAT64 (RFC 6052)
            return is_public(str(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)))
    return ip.is_global and not ip.is_multicast


def _addresses(host: str, port: int) -> list[str]:
    if get_settings().stage == "local" and host in LOOPBACK_LITERALS:
        return [host]
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise FetchError("the host does not resolve") from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses or not all(is_public(address) for address in addresses):
        raise FetchError("the host resolves to an address that is not public")
    return addresses


def _fetch(url: str, max_bytes: int) -> tuple[dict[str, Any], float]:
    import urllib3

    scheme, host, port = check_url(url)
    address = _addresses(host, port)[0]
    settings = get_settings()
    timeout = urllib3.Timeout(
        connect=settings.outbound_timeout_seconds, read=settings.outbound_timeout_seconds
    )
    pool_options: dict[str, Any] = {"timeout": timeout, "retries": False, "maxsize": 1}
    if scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            address, port, server_hostname=host, assert_hostname=host, **pool_options
        )
    else:
        pool = urllib3.HTTPConnectionPool(address, port, **pool_options)
    target = urlsplit(url)
    path = (target.path or "/") + (f"?{target.query}" if target.query else "")
    headers = {"Host": target.netloc, "Accept": "application/json"}
    try:
        response = pool.urlopen("GET", path, headers=headers, redirect=False, preload_content=False)
        body = response.read(max_bytes + 1)
        response.release_conn()
    except urllib3.exceptions.HTTPError as exc:
        raise FetchError(f"the fetch failed: {type(exc).__name__}") from exc
    finally:
        pool.close()
    if response.status != 200:
        raise FetchError(f"the server answered {response.status}")
    if len(body) > max_bytes:
        raise FetchError(f"the document is larger than {max_bytes} bytes")
    content_type = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    if content_type != "application/json" and not content_type.endswith("+json"):
        raise FetchError("the document is not application/json")
    try:
        document = json.loads(body)
    except ValueError as exc:
        raise FetchError("the document is not JSON") from exc
    if not isinstance(document, dict):
        raise FetchError("the document is not a JSON object")
    return document, _ttl(response.headers.get("Cache-Control") or "")


def _ttl(cache_control: str) -> float:
    settings = get_settings()
    low, high = settings.outbound_cache_min_seconds, settings.outbound_cache_max_seconds
    if NO_STORE.search(cache_control):
        return low
    match = MAX_AGE.search(cache_control)
    return float(min(max(int(match.group(1)) if match else low, low), high))
