"""Users: records, Argon2id password hashing, claims by scope.

RFC 9106 Argon2id via `cryptography`, PHC-encoded so parameters travel with each hash
(defaults follow OWASP: 19 MiB, 2 iterations, 1 lane; set in config). OIDC Core §5.4:
the claims each standard scope releases. `verify_password` spends the same work on an
unknown user (a dummy hash) so timing does not reveal which usernames exist.
"""

from __future__ import annotations

import os
import uuid
from functools import lru_cache
from typing import Any

from chalicelib.config import get_settings

SCOPE_CLAIMS = {
    "profile": ("name",),
    "email": ("email", "email_verified"),
}


def _hasher() -> Any:
    from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

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
    from cryptography.exceptions import InvalidKey
    from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

    try:
        Argon2id.verify_phc_encoded(password.encode(), phc_hash or _dummy_hash())
    except (InvalidKey, ValueError):
        return False
    return phc_hash is not None


def get_user(username: str) -> Any | None:
    from chalicelib.models import UserModel

    if not username or len(username) > 256:
        return None
    try:
        return UserModel.get(username, consistent_read=True)
    except UserModel.DoesNotExist:
        return None


def get_user_by_sub(sub: str) -> Any | None:
    from chalicelib.models import UserModel

    for user in UserModel.sub_index.query(sub, limit=1):
        return user
    return None


def create_user(username: str, password: str, email: str | None, name: str | None) -> Any:
    from chalicelib.models import UserModel

    user = UserModel(
        username=username,
        sub=str(uuid.uuid4()),
        password_hash=hash_password(password),
        email=email,
        name=name,
    )
    user.save(condition=UserModel.username.does_not_exist())
    return user


def set_password(username: str, password: str) -> Any:
    """Replace a user's password hash; DoesNotExist if there is no such user."""
    from chalicelib.models import UserModel

    user = UserModel.get(username, consistent_read=True)
    user.update(actions=[UserModel.password_hash.set(hash_password(password))])
    return user


def set_disabled(username: str, disabled: bool = True) -> Any:
    """A disabled user cannot sign in and gets no userinfo; DoesNotExist if unknown."""
    from chalicelib.models import UserModel

    user = UserModel.get(username, consistent_read=True)
    user.update(actions=[UserModel.disabled.set(disabled)])
    return user


def delete_user(username: str) -> None:
    from chalicelib.models import UserModel

    UserModel.get(username, consistent_read=True).delete()


def claims_for(user: Any, scopes: frozenset[str] | set[str]) -> dict[str, Any]:
    """`sub` plus the claims the granted scopes release (OIDC Core §5.4)."""
    claims: dict[str, Any] = {"sub": user.sub}
    for scope in scopes:
        for name in SCOPE_CLAIMS.get(scope, ()):
            value = getattr(user, name, None)
            if value is not None:
                claims[name] = value
    return claims
