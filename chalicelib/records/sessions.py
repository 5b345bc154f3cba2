"""Login sessions: who is signed in to this browser (OIDC Core §3.1.2.3).

Decisions:
* The session id is 256 random bits; the browser's cookie carries it (pages/cookies.py),
  the Session record only its SHA-256. A login always starts a new session (no fixation).
* `sid` (OIDC Front-Channel Logout §2) is a separate random value, safe to put in ID tokens.
* A session lives `SESSION_LIFETIME` from sign-in; `auth_time` and `amr` say when and how
  the person authenticated, for max_age, prompt=login and the ID token.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from chalicelib.config import get_settings
from chalicelib.models import SessionModel, UserModel, now
from chalicelib.opaque import new_value, sha256_hex


@dataclass(frozen=True)
class Session:
    session_hash: str
    sid: str
    sub: str
    username: str
    auth_time: int
    amr: tuple[str, ...]


def load(session_id: str | None) -> Session | None:
    """The live session a cookie value names, or None."""
    if not session_id:
        return None
    try:
        record = SessionModel.get(sha256_hex(session_id), consistent_read=True)
    except SessionModel.DoesNotExist:
        return None
    if not record.is_live():
        return None
    return Session(
        session_hash=record.session_hash,
        sid=record.sid or record.session_hash[:32],
        sub=record.sub,
        username=record.username,
        auth_time=int(record.auth_time),
        amr=tuple(record.amr or ("pwd",)),
    )


def start(user: UserModel, amr: tuple[str, ...]) -> tuple[str, Session]:
    """A new session for `user`: (the id for the cookie, the session)."""
    session_id = new_value()
    at = now()
    record = SessionModel(
        session_hash=sha256_hex(session_id),
        sid=secrets.token_urlsafe(16),
        sub=user.sub,
        username=user.username,
        auth_time=at,
        amr=list(amr),
        expires_at=at + get_settings().session_lifetime,
    )
    record.save()
    return session_id, Session(record.session_hash, record.sid, user.sub, user.username, at, amr)


def end(session_id: str) -> None:
    SessionModel(session_hash=sha256_hex(session_id)).delete()
