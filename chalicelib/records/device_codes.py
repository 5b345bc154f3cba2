"""Device code records: start, find by user code, approve or deny, poll, issue once.

RFC 8628 §3.2 (device authorization response), §3.3 (user interaction), §3.5 (polling
answers), §5.2 (device code entropy). Decisions:
* The device_code is 256 bits from `secrets`; only its SHA-256 is stored (the table key).
* A user code is unique among live codes: it is reserved by a conditional put on the
  counters table (`user_code#<code>`, expiring with the device code) before the record is
  written, so two requests cannot hand out the same code even at the same instant.
* Status moves pending -> approved | denied (the person, once, by a conditional write that
  also binds the approving user, by sub and username so the token request reads the user
  by key) and approved -> issued (the token request, once, by a conditional write written
  with the refresh family it starts, `claiming`), so tokens are issued at most once
  however many polls race.
* Polling answers, in order: invalid_grant (unknown, or another client's code),
  expired_token (checked here; TTL deletes lazily), access_denied, invalid_grant (already
  issued), then for a pending code slow_down or authorization_pending. A pending poll
  sooner than `interval` seconds after the previous one is slow_down, and the interval
  stored on the record grows by 5 s for it and every later poll (§3.5). The pace check is
  a conditional write too, so two polls at once cannot both pass as well-paced.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from chalicelib.config import get_settings
from chalicelib.errors import (
    AccessDenied,
    AuthorizationPending,
    ExpiredToken,
    InvalidGrant,
    SlowDown,
    TemporarilyUnavailable,
)
from chalicelib.models import (
    ConditionalUpdate,
    CounterModel,
    DeviceCodeModel,
    conditional_write,
    now,
)
from chalicelib.opaque import new_value, sha256_hex
from chalicelib.records import user_codes
from chalicelib.records.clients import Client

DeviceCode = DeviceCodeModel  # the type other floors name
PENDING, APPROVED, DENIED, ISSUED = "pending", "approved", "denied", "issued"
SLOW_DOWN_STEP = 5
RESERVE_TRIES = 5


@dataclass(frozen=True)
class Started:
    device_code: str
    user_code: str
    expires_in: int
    interval: int


def start(client: Client, scope: str, resources: tuple[str, ...] = ()) -> Started:
    """Create a pending device code for the client with a fresh, reserved user code, for
    `scope` at the granted `resources` (RFC 8707)."""
    settings = get_settings()
    expires_at = now() + settings.device_code_lifetime
    user_code = _reserve_user_code(expires_at)
    device_code = new_value()
    DeviceCodeModel(
        device_code_hash=sha256_hex(device_code),
        user_code=user_code,
        client_id=client.client_id,
        scope=scope,
        resources=list(resources),
        status=PENDING,
        interval=settings.device_poll_interval,
        last_poll_at=0,
        expires_at=expires_at,
    ).save(condition=DeviceCodeModel.device_code_hash.does_not_exist())
    return Started(
        device_code=device_code,
        user_code=user_codes.display(user_code),
        expires_in=settings.device_code_lifetime,
        interval=settings.device_poll_interval,
    )


def _reserve_user_code(expires_at: int) -> str:
    for _ in range(RESERVE_TRIES):
        code = user_codes.generate()
        reservation = CounterModel(key=f"user_code#{code}", count=0, expires_at=expires_at)
        free = CounterModel.key.does_not_exist() | (CounterModel.expires_at <= now())
        if conditional_write(reservation.save, condition=free):
            return code
    raise TemporarilyUnavailable(detail="no free user code after several tries")


def find_pending(user_code: str) -> DeviceCodeModel | None:
    """The live, still pending record for a normalised user code, read consistently."""
    at = now()
    for hit in DeviceCodeModel.user_code_index.query(user_code, limit=10):
        if hit.expires_at <= at or hit.status != PENDING:
            continue  # an expired record TTL has not removed yet, or one already decided
        try:
            record = DeviceCodeModel.get(hit.device_code_hash, consistent_read=True)
        except DeviceCodeModel.DoesNotExist:
            continue
        if record.expires_at > at and record.status == PENDING:
            return record
    return None


def decide(
    record: DeviceCodeModel,
    *,
    approve: bool,
    sub: str,
    auth_time: int,
    username: str | None = None,
    amr: tuple[str, ...] = (),
) -> None:
    """Record the person's decision once; a second decision or an expired code fails."""
    actions = [
        DeviceCodeModel.status.set(APPROVED if approve else DENIED),
        DeviceCodeModel.sub.set(sub),
        DeviceCodeModel.auth_time.set(auth_time),
        DeviceCodeModel.amr.set(list(amr)),
    ]
    if username:
        actions.append(DeviceCodeModel.username.set(username))
    condition = (DeviceCodeModel.status == PENDING) & (DeviceCodeModel.expires_at > now())
    if not conditional_write(record.update, actions=actions, condition=condition):
        raise InvalidGrant("This code has expired or was already used.")


def poll(device_code: str, client: Client) -> DeviceCodeModel:
    """The approved record for this client's device_code, or the §3.5 answer as an error."""
    record = _get(device_code)
    if record is None or not hmac.compare_digest(record.client_id, client.client_id):
        raise InvalidGrant("The device_code is invalid for this client")
    at = now()
    if record.expires_at <= at:
        raise ExpiredToken("The device_code has expired; start again")
    if record.status == DENIED:
        raise AccessDenied("The user denied the request")
    if record.status == ISSUED:
        raise InvalidGrant("The device_code was already used")
    if record.status == APPROVED:
        return record
    _pace(record, at)
    raise AuthorizationPending("The user has not yet completed the authorization")


def claiming(record: DeviceCodeModel) -> ConditionalUpdate:
    """The one-time write that marks an approved record issued; only one caller's succeeds."""
    at = now()
    actions = [DeviceCodeModel.status.set(ISSUED), DeviceCodeModel.issued_at.set(at)]
    condition = (DeviceCodeModel.status == APPROVED) & (DeviceCodeModel.expires_at > at)
    item = DeviceCodeModel(device_code_hash=record.device_code_hash)
    return ConditionalUpdate(item, actions, condition)


def _get(device_code: str) -> DeviceCodeModel | None:
    if len(device_code) > 128:
        return None
    try:
        return DeviceCodeModel.get(sha256_hex(device_code), consistent_read=True)
    except DeviceCodeModel.DoesNotExist:
        return None


def _pace(record: DeviceCodeModel, at: int) -> None:
    """Stamp a well-paced poll; answer slow_down (and raise the interval) otherwise."""
    interval = record.interval
    paced = (DeviceCodeModel.interval == interval) & (DeviceCodeModel.last_poll_at <= at - interval)
    stamp = [DeviceCodeModel.last_poll_at.set(at)]
    if conditional_write(record.update, actions=stamp, condition=paced):
        return
    record.update(
        actions=[
            DeviceCodeModel.interval.add(SLOW_DOWN_STEP),
            DeviceCodeModel.last_poll_at.set(at),
        ],
        condition=DeviceCodeModel.device_code_hash.exists(),
    )
    raise SlowDown(f"Polling too fast: wait at least {int(record.interval)} s between requests")
