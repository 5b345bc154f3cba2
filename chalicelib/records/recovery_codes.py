"""Recovery codes: one-time codes a person prints for the day their phone is lost.

Decisions: `COUNT` (10) codes of 16 base32 characters (80 bits, shown as four groups of
four), made when the first second factor is enrolled and whenever the person asks for a
new set (which replaces the old one). Only their SHA-256 is stored (80 random bits make
a plain hash safe, as for client secrets); a code is shown once, when it is made. Using
one removes its hash by a write conditioned on the hash still being there, so a code
works once even under racing requests. Typed input is forgiving: case, spaces and
hyphens are ignored.
"""

from __future__ import annotations

import base64
import secrets

from chalicelib.models import UserModel, conditional_write
from chalicelib.opaque import sha256_hex
from chalicelib.records import users
from chalicelib.records.users import User

COUNT = 10
CODE_BYTES = 10  # 80 bits: 16 base32 characters
MAX_INPUT = 64


def _normalized(typed: str) -> str:
    return "".join(ch for ch in typed.lower() if ch not in " -\t")


def _new_code() -> str:
    raw = base64.b32encode(secrets.token_bytes(CODE_BYTES)).decode("ascii").lower()
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def generate(user: User) -> list[str]:
    """A new set of codes, replacing any earlier set; the only time they are seen."""
    codes = [_new_code() for _ in range(COUNT)]
    hashes = {sha256_hex(_normalized(code)) for code in codes}
    users.update_person(user, [UserModel.recovery_codes.set(hashes)])
    return codes


def use(user: User, typed: str) -> bool:
    """True once per code: its hash is removed by this call."""
    if not typed or len(typed) > MAX_INPUT:
        return False
    digest = sha256_hex(_normalized(typed))
    if digest not in (user.recovery_codes or set()):
        return False
    condition = UserModel.recovery_codes.contains(digest)
    return conditional_write(
        user.update, actions=[UserModel.recovery_codes.delete({digest})], condition=condition
    )


def remaining(user: User) -> int:
    return len(user.recovery_codes or ())


def remove(user: User) -> None:
    users.update_person(user, [UserModel.recovery_codes.remove()])
