"""How a person signed in: RFC 8176 `amr` values, the `acr` they amount to, and when a
sign-in must include a second factor.

OIDC Core §2 (acr, amr), §3.1.2.1 (acr_values), RFC 8176 (amr values), RFC 9068 §2.2.1
(both in access tokens). Decisions:
* amr: a password `pwd`; an authenticator-app code or a recovery code `otp` (a recovery
  code is a one-time password the person printed); a passkey `hwk` when the credential is
  bound to one device, `swk` when it is synced (backup eligible: its private key lives in
  a cloud keychain, not in one piece of hardware). Two factors add `mfa`; a passkey always
  does, since user verification is required (the device, plus its PIN or biometric).
* acr: two values, advertised in discovery. `ACR_MFA` is the OpenID PAPE multi-factor
  policy URI (the value Auth0 and others use for "multi-factor"); every other sign-in is
  `ACR_SINGLE`. The acr is computed from the amr wherever a token is issued, so the two
  never disagree.
* A sign-in must be multi-factor when the client requires it (`require_mfa`), the person
  requires it, or the request's acr_values asks for ACR_MFA (acr_values is voluntary in
  OIDC: asking for it steps up a person who has a second factor and is answered with
  ACR_SINGLE for one who has none, which the client reads in the ID token).
"""

from __future__ import annotations

from collections.abc import Iterable

PASSWORD = "pwd"
OTP = "otp"
HARDWARE_KEY = "hwk"
SOFTWARE_KEY = "swk"
MFA = "mfa"
ACR_MFA = "http://schemas.openid.net/pape/policies/2007/06/multi-factor"
ACR_SINGLE = "urn:gatehouse:acr:single-factor"
ACR_VALUES = (ACR_SINGLE, ACR_MFA)


def with_factor(amr: Iterable[str], factor: str) -> tuple[str, ...]:
    """`amr` after one more factor: `mfa` once two kinds were used, or with any passkey."""
    methods = [m for m in amr if m != MFA]
    if factor not in methods:
        methods.append(factor)
    if len(methods) > 1 or factor in (HARDWARE_KEY, SOFTWARE_KEY):
        methods.append(MFA)
    return tuple(methods)


def passkey_method(backed_up: bool) -> str:
    return SOFTWARE_KEY if backed_up else HARDWARE_KEY


def is_multi_factor(amr: Iterable[str]) -> bool:
    return MFA in amr


def acr(amr: Iterable[str]) -> str:
    return ACR_MFA if is_multi_factor(amr) else ACR_SINGLE


def asks_mfa(acr_values: str | None) -> bool:
    """Whether a request's acr_values (space-separated, in order of preference) asks for
    multi-factor: its first value we support is ACR_MFA."""
    for value in (acr_values or "").split():
        if value in ACR_VALUES:
            return value == ACR_MFA
    return False
