"""DynamoDB tables, one per record kind: the one source of the table layouts.

Every record that expires carries `expires_at` (epoch seconds), which is the table's TTL
attribute. DynamoDB deletes expired items lazily (up to days late), so readers check
`expires_at` themselves (`is_live`). Secrets are stored as SHA-256 only (hash keys named
`*_hash`). The emulator and infra/ both build the tables from these classes (tables.py).
Helpers every record module shares: `now()`, the one clock for every expiry (a test
freezes it by replacing this module's `time`), `conditional_write`, the one place a failed
DynamoDB condition is told apart from an AWS fault, and `ConditionalUpdate`, a one-time
write that records/ decides and that is written alone or inside the transaction that also
creates a grant's first refresh token (tokens/refresh_tokens.py).
Every model derives from `Table`: all tables share one pynamodb Connection, so a container
has one botocore session and one DynamoDB client (pynamodb would make one of each per
table, and each new session parses botocore's endpoint file and service model again: a
cold /token touches two tables and KMS, and its first request's CPU halved with one
session, bench/cold_start.py). The KMS client is made from the same session
(`aws_session`), so botocore's data, credentials and region are resolved once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.connection import Connection, TableConnection
from pynamodb.exceptions import DeleteError, PutError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.config import get_settings

if TYPE_CHECKING:
    from botocore.session import Session

TTL_ATTRIBUTE = "expires_at"


def _meta(name: str) -> type:
    settings = get_settings()
    return type(
        "Meta",
        (),
        {
            "table_name": settings.table_prefix + name,
            "host": settings.endpoint_url,
            "billing_mode": "PAY_PER_REQUEST",
            "max_retry_attempts": settings.aws_retry_attempts,
            "connect_timeout_seconds": 2,
            "read_timeout_seconds": 5,
        },
    )


def _index_meta(name: str) -> type:
    return type("Meta", (), {"index_name": name, "projection": AllProjection()})


def now() -> int:
    """Epoch seconds, for every expiry and every stored instant."""
    return int(time.time())


CONDITION_FAILED = "ConditionalCheckFailedException"


def conditional_write(write: Callable[..., object], **arguments: Any) -> bool:
    """`write(**arguments)`, one conditional save, update or delete: True if it was written,
    False if its condition failed (someone else got there first). AWS faults propagate."""
    try:
        write(**arguments)
    except (PutError, UpdateError, DeleteError) as exc:
        if exc.cause_response_code != CONDITION_FAILED:
            raise
        return False
    return True


@dataclass(frozen=True)
class ConditionalUpdate:
    """An update of `item` that must happen at most once (a code redeemed, a device code
    claimed): its actions, and the condition that makes it once."""

    item: Model
    actions: list[Action]
    condition: Condition

    def write(self) -> bool:
        """One conditional UpdateItem: True if written, False if the condition failed."""
        return conditional_write(self.item.update, actions=self.actions, condition=self.condition)


@lru_cache(maxsize=4)
def _connection(
    region: str | None, host: str | None, connect: float, read: float, retries: int
) -> Connection:
    return Connection(
        region=region,
        host=host,
        connect_timeout_seconds=connect,
        read_timeout_seconds=read,
        max_retry_attempts=retries,
    )


class Table(Model):
    """The base of every model: its table is reached through the one shared Connection."""

    @classmethod
    def _get_connection(cls) -> TableConnection:
        table = cls._connection
        if table is None or table.table_name != cls.Meta.table_name:
            table = super()._get_connection()
            meta = cls.Meta
            shared = _connection(
                meta.region,
                meta.host,
                meta.connect_timeout_seconds,
                meta.read_timeout_seconds,
                meta.max_retry_attempts,
            )
            with suppress(ValueError):  # the shared connection knows this table already
                shared.add_meta_table(table.get_meta_table())
            table.connection = shared
        return table


class Expiring(Table):
    expires_at = NumberAttribute()

    def is_live(self, at: int | None = None) -> bool:
        return self.expires_at > (now() if at is None else at)


class ClientModel(Table):
    Meta = _meta("clients")
    client_id = UnicodeAttribute(hash_key=True)
    secret_hash = UnicodeAttribute(null=True)
    name = UnicodeAttribute()
    redirect_uris = ListAttribute(of=UnicodeAttribute, default=list)
    post_logout_redirect_uris = ListAttribute(of=UnicodeAttribute, default=list)
    grant_types = ListAttribute(of=UnicodeAttribute, default=list)
    response_types = ListAttribute(of=UnicodeAttribute, default=list)
    scope = UnicodeAttribute(default="")
    token_endpoint_auth_method = UnicodeAttribute(default="client_secret_basic")
    public = BooleanAttribute(default=False)
    allow_tokens_via_browser = BooleanAttribute(default=False)
    require_pkce = BooleanAttribute(default=False)
    allow_plain_pkce = BooleanAttribute(default=False)
    can_introspect = BooleanAttribute(default=False)
    id_token_signed_response_alg = UnicodeAttribute(default="RS256")
    # None: the stage's ACCESS_TOKEN_ALG (tokens/access_tokens.py)
    access_token_signed_response_alg = UnicodeAttribute(null=True)
    access_token_lifetime = NumberAttribute(null=True)
    created_at = NumberAttribute(default=now)
    # RFC 8707 resource indicators the client may ask tokens for (records/clients.py)
    resources = ListAttribute(of=UnicodeAttribute, default=list)
    # RFC 7591/7592 (records/dynamic_registration.py): how the client came to be ("admin",
    # "open", "token"), its management token's hash, its unverified self-description; a
    # dynamically registered client expires when unused (TTL; extended when it is used)
    registered_by = UnicodeAttribute(default="admin")
    registration_token_hash = UnicodeAttribute(null=True)
    client_uri = UnicodeAttribute(null=True)
    logo_uri = UnicodeAttribute(null=True)
    expires_at = NumberAttribute(null=True)
    # private_key_jwt (RFC 7523 §2.2): the client's public keys, inline (a JWK Set as JSON)
    # or by URL, and the one algorithm it signs with if it pinned one
    jwks = UnicodeAttribute(null=True)
    jwks_uri = UnicodeAttribute(null=True)
    token_endpoint_auth_signing_alg = UnicodeAttribute(null=True)
    # every sign-in for this client must be multi-factor (records/assurance.py)
    require_mfa = BooleanAttribute(default=False)


class SubIndex(GlobalSecondaryIndex):
    Meta = _index_meta("sub-index")
    sub = UnicodeAttribute(hash_key=True)


class UserModel(Table):
    Meta = _meta("users")
    username = UnicodeAttribute(hash_key=True)
    sub = UnicodeAttribute()
    sub_index = SubIndex()
    password_hash = UnicodeAttribute()
    email = UnicodeAttribute(null=True)
    email_verified = BooleanAttribute(default=False)
    name = UnicodeAttribute(null=True)
    disabled = BooleanAttribute(default=False)
    created_at = NumberAttribute(default=now)
    # Second factors (records/second_factors.py): the authenticator app's secret sealed by
    # KMS (signing/sealing.py) and the last time step it accepted; a secret being enrolled,
    # sealed, until one code confirms it; SHA-256 of each unused recovery code; how many
    # passkeys the person has (PasskeyModel); whether the person must use a second factor
    totp_secret = UnicodeAttribute(null=True)
    totp_last_step = NumberAttribute(null=True)
    totp_pending = UnicodeAttribute(null=True)
    totp_pending_expires_at = NumberAttribute(null=True)
    recovery_codes = UnicodeSetAttribute(null=True)
    passkey_count = NumberAttribute(null=True)
    require_mfa = BooleanAttribute(default=False)


class AuthorizationCodeModel(Expiring):
    Meta = _meta("codes")
    code_hash = UnicodeAttribute(hash_key=True)
    client_id = UnicodeAttribute()
    redirect_uri = UnicodeAttribute()
    scope = UnicodeAttribute(default="")
    sub = UnicodeAttribute()
    session_id = UnicodeAttribute(null=True)
    nonce = UnicodeAttribute(null=True)
    code_challenge = UnicodeAttribute(null=True)
    code_challenge_method = UnicodeAttribute(null=True)
    auth_time = NumberAttribute()
    redeemed_at = NumberAttribute(null=True)
    issued_jtis = ListAttribute(of=UnicodeAttribute, default=list)
    issued_exp = NumberAttribute(null=True)
    redirect_uri_given = BooleanAttribute(default=True)
    refresh_family_id = UnicodeAttribute(null=True)
    resources = ListAttribute(of=UnicodeAttribute, default=list)  # granted (RFC 8707)
    # the hybrid `code token` access token, revoked with the code's own on a replay
    front_channel_jti = UnicodeAttribute(null=True)
    front_channel_exp = NumberAttribute(null=True)
    # the person's record key, so the token request reads it by key (older codes: by sub)
    username = UnicodeAttribute(null=True)
    # how the person signed in (RFC 8176 values); None: a code from before it was kept
    amr = ListAttribute(of=UnicodeAttribute, null=True)


class UserCodeIndex(GlobalSecondaryIndex):
    Meta = _index_meta("user-code-index")
    user_code = UnicodeAttribute(hash_key=True)


class DeviceCodeModel(Expiring):
    Meta = _meta("device-codes")
    device_code_hash = UnicodeAttribute(hash_key=True)
    user_code = UnicodeAttribute()
    user_code_index = UserCodeIndex()
    client_id = UnicodeAttribute()
    scope = UnicodeAttribute(default="")
    status = UnicodeAttribute(default="pending")
    sub = UnicodeAttribute(null=True)
    auth_time = NumberAttribute(null=True)
    interval = NumberAttribute()
    last_poll_at = NumberAttribute(default=0)
    issued_at = NumberAttribute(null=True)
    resources = ListAttribute(of=UnicodeAttribute, default=list)  # granted (RFC 8707)
    username = UnicodeAttribute(null=True)  # who approved, read by key at the token request
    amr = ListAttribute(of=UnicodeAttribute, null=True)  # how they signed in to approve


class RefreshTokenModel(Expiring):
    Meta = _meta("refresh-tokens")
    token_hash = UnicodeAttribute(hash_key=True)
    family_id = UnicodeAttribute()
    client_id = UnicodeAttribute()
    sub = UnicodeAttribute()
    scope = UnicodeAttribute(default="")
    auth_time = NumberAttribute(null=True)
    idle_expires_at = NumberAttribute()
    used_at = NumberAttribute(null=True)
    successor_hash = UnicodeAttribute(null=True)
    successor_nonce = UnicodeAttribute(null=True)
    created_at = NumberAttribute(default=now)
    # Copies of what the refresh grant needs, so a rotation reads nothing but this record:
    # the person's record key and the family's granted resources (None: a token from
    # before they were copied; the grant then reads the user by sub and the family).
    username = UnicodeAttribute(null=True)
    resources = ListAttribute(of=UnicodeAttribute, null=True)
    amr = ListAttribute(of=UnicodeAttribute, null=True)  # the grant's sign-in (RFC 8176)


class RefreshFamilyModel(Expiring):
    """One grant's chain of refresh tokens; `revoked_at` kills every token in it at once."""

    Meta = _meta("refresh-families")
    family_id = UnicodeAttribute(hash_key=True)
    client_id = UnicodeAttribute()
    sub = UnicodeAttribute()
    created_at = NumberAttribute(default=now)
    revoked_at = NumberAttribute(null=True)
    revoked_reason = UnicodeAttribute(null=True)
    resources = ListAttribute(of=UnicodeAttribute, default=list)  # granted (RFC 8707)


class SessionModel(Expiring):
    Meta = _meta("sessions")
    session_hash = UnicodeAttribute(hash_key=True)
    sub = UnicodeAttribute()
    username = UnicodeAttribute()
    auth_time = NumberAttribute()
    sid = UnicodeAttribute(null=True)
    amr = ListAttribute(of=UnicodeAttribute, default=list)


class ChallengeModel(Expiring):
    """A sign-in in progress, keyed by SHA-256 of a random value (records/challenges.py):
    a password checked and a second factor still to come (the value is in a cookie), or a
    WebAuthn challenge (the value is the challenge), consumed once by a conditional delete."""

    Meta = _meta("challenges")
    challenge_hash = UnicodeAttribute(hash_key=True)
    purpose = UnicodeAttribute()
    username = UnicodeAttribute(null=True)
    sub = UnicodeAttribute(null=True)
    amr = ListAttribute(of=UnicodeAttribute, default=list)
    return_to = UnicodeAttribute(null=True)
    webauthn_challenge = UnicodeAttribute(null=True)


class PasskeyModel(Table):
    """A person's WebAuthn credential (records/passkeys.py): its COSE public key, the
    signature counter it last reported, and what the person named it."""

    Meta = _meta("passkeys")
    sub = UnicodeAttribute(hash_key=True)
    credential_id = UnicodeAttribute(range_key=True)  # base64url
    public_key = UnicodeAttribute()  # base64url COSE_Key
    sign_count = NumberAttribute(default=0)
    name = UnicodeAttribute(default="Passkey")
    device_type = UnicodeAttribute(default="single_device")
    backed_up = BooleanAttribute(default=False)
    transports = ListAttribute(of=UnicodeAttribute, default=list)
    created_at = NumberAttribute(default=now)
    last_used_at = NumberAttribute(null=True)


class ConsentModel(Expiring):
    Meta = _meta("consents")
    sub = UnicodeAttribute(hash_key=True)
    client_id = UnicodeAttribute(range_key=True)
    scopes = ListAttribute(of=UnicodeAttribute, default=list)


class RevokedTokenModel(Expiring):
    """Access-token denylist: a jti stays here until the token's own exp. Spent client
    assertion jtis (private_key_jwt) share it as `assertion:<SHA-256>` until their exp."""

    Meta = _meta("revoked-tokens")
    jti = UnicodeAttribute(hash_key=True)


class CounterModel(Expiring):
    """Fixed-window counters for brute-force limits (password grant, user codes);
    `next_at` is when a backed-off key may be tried again (records/ratelimit.py)."""

    Meta = _meta("counters")
    key = UnicodeAttribute(hash_key=True)
    count = NumberAttribute(default=0)
    next_at = NumberAttribute(null=True)


class ResourceModel(Table):
    """A resource server (RFC 8707 resource indicator, RFC 9728 `resource`): the scopes a
    token for it may carry, and whether dynamically registered clients may ask for it."""

    Meta = _meta("resources")
    uri = UnicodeAttribute(hash_key=True)
    scopes = ListAttribute(of=UnicodeAttribute, default=list)
    open = BooleanAttribute(default=False)
    created_at = NumberAttribute(default=now)


class RegistrationTokenModel(Expiring):
    """RFC 7591 §3: initial access tokens for `REGISTRATION=token`, stored by SHA-256."""

    Meta = _meta("registration-tokens")
    token_hash = UnicodeAttribute(hash_key=True)
    created_at = NumberAttribute(default=now)


class SigningKeyModel(Table):
    Meta = _meta("signing-keys")
    kid = UnicodeAttribute(hash_key=True)
    alg = UnicodeAttribute()
    kms_key_id = UnicodeAttribute()
    state = UnicodeAttribute()
    public_jwk = UnicodeAttribute()
    created_at = NumberAttribute(default=now)
    activated_at = NumberAttribute(null=True)
    retired_at = NumberAttribute(null=True)
    encrypted_private_key = UnicodeAttribute(null=True)
    # rotation.py: who may stage this active key's successor; when its KMS key was scheduled
    # for deletion (kms mode; a `deleted` key without it had no KMS key of its own to delete)
    successor_claimed_at = NumberAttribute(null=True)
    deletion_scheduled_at = NumberAttribute(null=True)


ALL_MODELS: tuple[type[Model], ...] = (
    ClientModel,
    UserModel,
    AuthorizationCodeModel,
    DeviceCodeModel,
    RefreshTokenModel,
    RefreshFamilyModel,
    SessionModel,
    ChallengeModel,
    PasskeyModel,
    ConsentModel,
    RevokedTokenModel,
    CounterModel,
    ResourceModel,
    RegistrationTokenModel,
    SigningKeyModel,
)


def aws_session() -> Session:
    """The botocore session behind every table, for the one other AWS client (KMS)."""
    return ClientModel._get_connection().connection.session


def transact_write() -> TransactWrite:
    """A pynamodb TransactWrite sharing the models' endpoint, timeouts and retries.

    Any table's connection serves every table: each item names its own table.
    """
    return TransactWrite(connection=ClientModel._get_connection().connection)
