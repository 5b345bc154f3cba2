"""User codes of the device flow: format, normalisation, and the brute-force guard.

RFC 8628 §6.1 (user code recommendations) and §5.1 (user code brute forcing). Decisions:
* 8 characters from the 20 consonants BCDFGHJKLMNPQRSTVWXZ: no vowels (so no words), no
  digits (so no 0/O or 1/I confusion), case-insensitive. 20^8 = 2.56e10 codes, about
  2^34.6. Shown as `XXXX-XXXX`; stored and looked up as the 8 bare characters.
* Entry is normalised: ASCII letters are upper-cased, and everything outside the alphabet
  (dashes, spaces, punctuation, vowels, digits, non-ASCII) is dropped. A result that is not
  8 characters long is a typing mistake, not a guess, and is not counted.
* Every lookup of a well-formed code is charged to the source IP (an IPv4 address or an IPv6
  /64: ratelimit.source_subject) *before* it runs (one atomic ADD), and refunded when the
  code was right, so parallel requests cannot slip past the limit. After
  `USER_CODE_MAX_FAILURES` (5) wrong codes from one source within `USER_CODE_FAILURE_WINDOW`
  (600 s, fixed from the first failure) every entry from that source, right or wrong, gets
  the same refusal until the window passes: a limited caller learns nothing about which
  codes exist. Wrong codes are also counted in total, logged, and reported as the
  WrongUserCodes metric; the total is not enforced, since a global lock would let one
  attacker shut everyone out.
"""

from __future__ import annotations

import logging
import secrets

from chalicelib import observability
from chalicelib.config import get_settings
from chalicelib.errors import AccessDenied, InvalidRequest
from chalicelib.records import ratelimit

logger = logging.getLogger("gatehouse")

ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"
LENGTH = 8
MAX_INPUT = 64
PER_IP = "user_code_ip"
TOTAL = "user_code_total"


def generate() -> str:
    """A fresh code of 8 characters from the alphabet (secrets, uniform)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def display(code: str) -> str:
    """`WDJBMJHT` -> `WDJB-MJHT`."""
    return f"{code[:4]}-{code[4:]}"


def normalise(raw: str | None) -> str | None:
    """The 8-character code a person meant, or None if what they typed cannot be one."""
    if not raw or len(raw) > MAX_INPUT:
        return None
    code = "".join(c for c in raw if c.isascii()).upper()
    code = "".join(c for c in code if c in ALPHABET)
    return code if len(code) == LENGTH else None


def require(raw: str | None) -> str:
    code = normalise(raw)
    if code is None:
        raise InvalidRequest("A code has 8 letters, like WDJB-MJHT. Check the code and try again.")
    return code


def charge(source_ip: str) -> None:
    """Count one try from this IP before looking the code up; refuse past the limit."""
    settings = get_settings()
    limit = (PER_IP, ratelimit.source_subject(source_ip), settings.user_code_max_failures)
    if ratelimit.charge([limit], settings.user_code_failure_window):
        raise AccessDenied(
            "Too many wrong codes were entered from your network. Wait a few minutes and "
            "try again.",
            detail=f"user code entry refused for {source_ip}",
            status_code=429,
        )


def record_lookup(source_ip: str, *, found: bool) -> None:
    """After the lookup: refund the try of a code that was found, count a wrong one overall."""
    if found:
        ratelimit.refund(PER_IP, ratelimit.source_subject(source_ip))
        return
    observability.count(observability.WRONG_USER_CODES)
    total = ratelimit.record_failure(TOTAL, "all", get_settings().user_code_failure_window)
    logger.warning("wrong user code from %s (%d wrong in this window overall)", source_ip, total)


def is_refused(source_ip: str) -> bool:
    settings = get_settings()
    return ratelimit.is_limited(
        PER_IP, ratelimit.source_subject(source_ip), settings.user_code_max_failures
    )
