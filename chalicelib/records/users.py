"""Users: records, Argon2id password hashing, who may still act, claims by scope.

RFC 9106 Argon2id via `cryptography`, PHC-encoded so parameters travel with each hash
(defaults follow OWASP: 19 MiB, 2 iterations, 1 lane; set in config). OIDC Core §5.4:
the claims each standard scope releases. `check_password` spends the same work on an
unknown user (a dummy hash) so timing does not reveal which usernames exist.
One rule is written here and nowhere else: a person may act (sign in, be signed in, get or
keep tokens, have them introspected as active) only while their record exists and is not
disabled (`may_act`, and `active`, `active_by_sub` which read a user under it). The same
rule as a DynamoDB condition on the user's record (`may_act_condition`) lets a write that
needs the person commit only while it holds, without reading the user first (the refresh
token's rotation); a test holds the two forms to each other.
"""

from __future__ import annotations

import os
import uuid
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidKey
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from chalicelib.config import get_settings
from chalicelib.errors import InvalidRequest
from chalicelib.models import UserModel, conditional_write

if TYPE_CHECKING:
    from pynamodb.expressions.condition import Condition

User = UserModel  # the type other floors name; only records/ touch the models

SCOPE_CLAIMS = {
    "profile": ("name",),
    "email": ("email", "email_verified"),
}


def _hasher() -> Argon2id:
    settings = get_settings()
    return Argon2id(
        salt=os.urandom(16),
        length=32,
        iterations=settings.argon2_iterations,
        lanes=settings.argon2_lanes,
        memory_cost=settings.argon2_memory_kib,
    )


def hash_password(password: str) -> str:
    return _hasher().derive_phc_encoded(password.encode())


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password(uuid.uuid4().hex)


def check_password(password: str, phc_hash: str | None) -> bool:
    """Constant work whether or not the user exists (`phc_hash` None -> dummy)."""
    try:
        Argon2id.verify_phc_encoded(password.encode(), phc_hash or _dummy_hash())
    except (InvalidKey, ValueError):
        return False
    return phc_hash is not None


def get_user(username: str) -> UserModel | None:
    if not username or len(username) > 256:
        return None
    try:
        return UserModel.get(username, consistent_read=True)
    except UserModel.DoesNotExist:
        return None


def get_user_by_sub(sub: str) -> UserModel | None:
    for user in UserModel.sub_index.query(sub, limit=1):
        return user
    return None


def may_act(user: UserModel | None) -> bool:
    """The rule: a person may act only while their record exists and is not disabled."""
    return user is not None and not user.disabled


def has_second_factor(user: UserModel) -> bool:
    """An authenticator app or a passkey (records/totp.py, records/passkeys.py)."""
    return bool(user.totp_secret) or int(user.passkey_count or 0) > 0


def update_person(user: UserModel, actions: list[Any]) -> None:
    """`actions` on the person's record, only while it is still theirs: an update of a
    record deleted meanwhile would otherwise write a fragment of a user (DynamoDB's
    UpdateItem creates what is missing). InvalidRequest if the person is gone."""
    condition = UserModel.sub == user.sub
    if not conditional_write(user.update, actions=actions, condition=condition):
        raise InvalidRequest("This account no longer exists.")


def may_act_condition(sub: str) -> Condition:
    """`may_act` as a condition on the user's record, which must also still have `sub`."""
    enabled = UserModel.disabled.does_not_exist() | (UserModel.disabled == False)  # noqa: E712
    return UserModel.username.exists() & (UserModel.sub == sub) & enabled


def active(username: str, sub: str | None = None) -> UserModel | None:
    """The user, if they may act and (when given) still have this sub."""
    user = get_user(username)
    if not may_act(user) or (sub is not None and user.sub != sub):
        return None
    return user


def active_by_sub(sub: str | None, username: str | None = None) -> UserModel | None:
    """The user with this sub, if they may act: read by key when the caller kept the
    `username` (one GetItem), else found by sub (a Query of the sub index)."""
    if username and sub:
        return active(username, sub=sub)
    user = get_user_by_sub(sub) if sub else None
    return user if may_act(user) else None


def create_user(username: str, password: str, email: str | None, name: str | None) -> UserModel:
    user = UserModel(
        username=username,
        sub=str(uuid.uuid4()),
        password_hash=hash_password(password),
        email=email,
        name=name,
    )
    if not conditional_write(user.save, condition=UserModel.username.does_not_exist()):
        raise InvalidRequest("already exists", detail=f"username {username!r} is taken")
    return user


def set_password(username: str, password: str) -> UserModel:
    """Replace a user's password hash; DoesNotExist if there is no such user."""
    user = UserModel.get(username, consistent_read=True)
    user.update(actions=[UserModel.password_hash.set(hash_password(password))])
    return user


def set_disabled(username: str, disabled: bool = True) -> UserModel:
    """A disabled user cannot sign in and gets no userinfo; DoesNotExist if unknown."""
    user = UserModel.get(username, consistent_read=True)
    user.update(actions=[UserModel.disabled.set(disabled)])
    return user


def delete_user(username: str) -> None:
    UserModel.get(username, consistent_read=True).delete()


def claims_for(user: UserModel, scopes: frozenset[str]) -> dict[str, Any]:
    """`sub` plus the claims the granted scopes release (OIDC Core §5.4)."""
    claims: dict[str, Any] = {"sub": user.sub}
    for scope in scopes:
        for name in SCOPE_CLAIMS.get(scope, ()):
            value = getattr(user, name, None)
            if value is not None:
                claims[name] = value
    return claims
