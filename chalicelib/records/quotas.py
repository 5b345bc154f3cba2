"""Request quotas per client at /token and /device_authorization (RFC 6585 §4).

Every token costs a KMS Sign from the account's shared quota, and every device code a
DynamoDB write: one client looping must get 429 before it spends what everyone shares.
Decisions:
* Who is counted: a confidential client by its client_id (only the holder of its secret can
  spend it); a public client by client_id and source address, since anyone may present a
  public client_id and one budget for all would let a stranger lock every user of the app
  out. A flood of one public client_id from many addresses is for API Gateway's throttling.
* A limit is a rate with a burst, counted in fixed windows of burst/rate seconds that each
  allow `burst` requests (so across a window's end a caller may get up to twice the burst).
  /token: `TOKEN_RATE_PER_CLIENT` (20/s), `TOKEN_BURST_PER_CLIENT` (200), every grant, right
  after client authentication. /device_authorization: `DEVICE_AUTHORIZATION_RATE` (1/s),
  `DEVICE_AUTHORIZATION_BURST` (10). A rate of 0 turns the limit off.
* Cost: a container counts a caller's requests itself and adds them to the shared counter
  (ratelimit.add, one atomic ADD) only once the caller is busy here: at /token a container
  admits a caller `TOKEN_RATE_LOCAL_PERCENT` (25) % of its burst per window on its own count
  (50 of 200 by default, at least `TOKEN_RATE_BATCH`), then adds them all at once and, from
  then on in that window, every `TOKEN_RATE_BATCH` (10) requests. So a warm token of a caller
  within its local share costs no DynamoDB call at all, and a busier one a tenth of a write.
  /device_authorization writes a device code anyway, so it adds every request (batch 1).
* Accuracy (the bound): one container refuses exactly at the burst (the shared count it
  last saw plus its own uncounted requests). With C containers serving one caller, each
  holds up to first-1 uncounted requests (first = the local share, at least the batch) and
  learns of the others' only when it adds its own, so the caller may get up to
  burst + C x (first-1) per window: with the defaults, 200 + C x 49 (one container: 200;
  two: at most ~300). TOKEN_RATE_LOCAL_PERCENT=0 gives back the batch bound,
  burst + C x (batch-1), at a write per batch. Batch 1 (/device_authorization) is exact.
* Over the limit: `RateLimited`, 429 `temporarily_unavailable` with Retry-After (the rest
  of the window), before the grant runs, so nothing is minted and KMS is not called; a
  container that knows a caller is over refuses it without asking DynamoDB again.
* Each container remembers at most `MAX_CALLERS` callers (LRU); one pushed out forgets at
  most first-1 uncounted requests.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from chalicelib import observability
from chalicelib.config import get_settings
from chalicelib.errors import RateLimited
from chalicelib.models import now
from chalicelib.records import ratelimit
from chalicelib.records.clients import Client
from chalicelib.records.lru import LRU

TOKEN = "token-rate"
DEVICE_AUTHORIZATION = "device-authorization-rate"
MAX_CALLERS = 5000


@dataclass(frozen=True)
class Limit:
    rate: int  # per second, 0 = no limit
    burst: int
    batch: int  # requests added to the shared counter at once, once it is in use
    first: int  # requests a container admits on its own count before it adds any

    @property
    def window(self) -> int:
        return max(1, math.ceil(self.burst / self.rate))


@dataclass
class _Tally:
    """One caller's window as this container knows it."""

    ends_at: float
    seen: int = 0  # the shared count when this container last added to it
    uncounted: int = 0  # requests let through here since
    shared: bool = False  # whether this container has added to the shared counter yet


_tallies: LRU[_Tally] = LRU()


def reset_cache() -> None:
    _tallies.clear()


def limit_of(endpoint: str) -> Limit:
    settings = get_settings()
    if endpoint == TOKEN:
        rate, burst = settings.token_rate_per_client, settings.token_burst_per_client
        batch = max(1, settings.token_rate_batch)
        local_share = math.ceil(burst * max(0, settings.token_rate_local_percent) / 100)
        return Limit(rate, burst, batch, max(batch, local_share))
    return Limit(settings.device_authorization_rate, settings.device_authorization_burst, 1, 1)


def admit(endpoint: str, client: Client, source_ip: str) -> None:
    """Count one request of `client` at `endpoint` (TOKEN or DEVICE_AUTHORIZATION);
    RateLimited when it is over the limit."""
    limit = limit_of(endpoint)
    if limit.rate <= 0:
        return
    subject = client.client_id
    if client.public:
        subject = f"{subject}#{ratelimit.source_subject(source_ip)}"
    _spend(endpoint, subject, limit)


def _spend(endpoint: str, subject: str, limit: Limit) -> None:
    at = now()
    key = f"{endpoint}#{subject}"
    tally = _tallies.get(key)
    if tally is None or at >= tally.ends_at:
        tally = _Tally(ends_at=at + limit.window)
    _tallies.put(key, tally, MAX_CALLERS)
    if tally.seen + tally.uncounted >= limit.burst:
        _refuse(endpoint, subject, tally.ends_at - at)
    tally.uncounted += 1
    if tally.uncounted >= (limit.batch if tally.shared else limit.first):
        window = ratelimit.add(endpoint, subject, tally.uncounted, limit.window)
        tally.seen, tally.uncounted, tally.ends_at = window.count, 0, window.ends_at
        tally.shared = True
        if window.count > limit.burst:
            _refuse(endpoint, subject, window.ends_at - at)


def _refuse(endpoint: str, subject: str, seconds_left: float) -> None:
    observability.count(observability.RATE_LIMITED)
    raise RateLimited(
        "Too many requests from this client. Retry after the time in Retry-After.",
        detail=f"{endpoint} over its limit for {subject}",
        retry_after=max(1, math.ceil(seconds_left)),
    )
