"""Remembered consent: which scopes a person agreed to give a client (OIDC Core §3.1.2.4).

Decisions: one record per (sub, client); remembering adds the approved scopes to what was
already there and restarts the `CONSENT_LIFETIME` clock. Consent is skipped only when every
requested scope is covered; `prompt=consent` always asks again.
"""

from __future__ import annotations

from chalicelib.config import get_settings
from chalicelib.models import ConsentModel, now

SCOPE_WORDS = {
    "openid": "Sign you in and know who you are",
    "profile": "See your name",
    "email": "See your email address",
    "offline_access": "Keep access while you are not using the app",
}


def describe(scope: str) -> str:
    return SCOPE_WORDS.get(scope, f"Access “{scope}”")


def remembered(sub: str, client_id: str, scopes: frozenset[str]) -> bool:
    try:
        record = ConsentModel.get(sub, client_id, consistent_read=True)
    except ConsentModel.DoesNotExist:
        return False
    return record.is_live() and scopes <= set(record.scopes or ())


def remember(sub: str, client_id: str, scopes: frozenset[str]) -> None:
    try:
        record = ConsentModel.get(sub, client_id, consistent_read=True)
        known = set(record.scopes or ()) if record.is_live() else set()
    except ConsentModel.DoesNotExist:
        known = set()
    ConsentModel(
        sub=sub,
        client_id=client_id,
        scopes=sorted(known | scopes),
        expires_at=now() + get_settings().consent_lifetime,
    ).save()
