"""Settings, read once per container from the environment.

Every tunable of Gatehouse lives here with its default; nothing else reads os.environ.
The stage's values come from `.chalice/config.json` (Chalice sets them as environment
variables); `EMULATOR_PORT`/`AWS_ENDPOINT_URL` and `PORT`/`ISSUER` let a second local stack
run beside the first. `ACCESS_TOKEN_ALG` defaults by `SIGNING_MODE`: RS256 in `kms` mode
(KMS charges $0.03 per 10,000 RSA_2048 Sign requests, $0.15 per 10,000 ECC ones), ES256 in
`envelope` mode (signing in Lambda, ES256 costs several times less CPU than RS256).
"""

from __future__ import annotations

import os
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache

# A deployed stage without ISSUER takes its issuer from each request's API Gateway context
# (chalicelib/stage_issuer.py sets this around the request); see Settings.issuer.
request_issuer: ContextVar[str] = ContextVar("request_issuer", default="")
ACCESS_TOKEN_ALG_BY_MODE = {"kms": "RS256", "envelope": "ES256"}


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes"}


def _choice(name: str, allowed: tuple[str, ...]) -> str:
    value = os.environ.get(name, "").strip() or allowed[0]
    if value not in allowed:
        raise RuntimeError(f"{name} must be one of {', '.join(allowed)}")
    return value


def _access_token_alg(signing_mode: str) -> str:
    """`ACCESS_TOKEN_ALG` if set, else the cheaper algorithm for the signing mode."""
    if not os.environ.get("ACCESS_TOKEN_ALG", "").strip():
        return ACCESS_TOKEN_ALG_BY_MODE[signing_mode]
    return _choice("ACCESS_TOKEN_ALG", ("RS256", "ES256"))


def _words(name: str, default: str) -> tuple[str, ...]:
    return tuple(os.environ.get(name, default).replace(",", " ").split())


@dataclass(frozen=True)
class Settings:
    stage: str
    configured_issuer: str
    endpoint_url: str | None
    table_prefix: str
    key_alias_prefix: str
    signing_mode: str
    access_token_alg: str
    default_audience: str
    scopes_supported: tuple[str, ...]
    access_token_lifetime: int
    id_token_lifetime: int
    code_lifetime: int
    refresh_absolute_lifetime: int
    refresh_idle_lifetime: int
    refresh_grace_seconds: int
    password_backoff_after: int
    password_backoff_cap: int
    password_daily_failure_limit: int
    password_source_backoff_after: int
    password_source_backoff_cap: int
    device_cookie_lifetime: int
    session_lifetime: int
    device_code_lifetime: int
    device_poll_interval: int
    user_code_max_failures: int
    user_code_failure_window: int
    client_cache_seconds: int
    client_cache_size: int
    client_miss_cache_size: int
    token_rate_per_client: int
    token_burst_per_client: int
    token_rate_batch: int
    token_rate_local_percent: int
    device_authorization_rate: int
    device_authorization_burst: int
    keys_cache_seconds: int
    key_retire_seconds: int
    key_rotation_days: int
    key_publish_seconds: int
    max_body_bytes: int
    argon2_memory_kib: int
    argon2_iterations: int
    argon2_lanes: int
    aws_retry_attempts: int
    consent_lifetime: int = 90 * 86400
    log_level: str = "INFO"
    registration: str = "off"
    registration_rate_per_source: int = 10
    registered_client_idle_days: int = 30
    outbound_timeout_seconds: float = 2.0
    outbound_cache_min_seconds: int = 60
    outbound_cache_max_seconds: int = 86400
    outbound_cache_size: int = 1000
    client_document_max_bytes: int = 5120
    jwks_uri_max_bytes: int = 32768
    client_assertion_max_seconds: int = 3600
    sign_in_step_seconds: int = 300
    account_reauth_seconds: int = 300
    service_name: str = "Gatehouse"

    @property
    def issuer(self) -> str:
        """`ISSUER`, else (deployed, not yet pinned) the URL API Gateway was called at."""
        issuer = self.configured_issuer or request_issuer.get()
        if not issuer:
            raise RuntimeError("no ISSUER and no API Gateway request to derive it from")
        return issuer


def _endpoint_url() -> str | None:
    if os.environ.get("AWS_ENDPOINT_URL"):
        return os.environ["AWS_ENDPOINT_URL"]
    if _flag("GATEHOUSE_EMULATOR"):
        return f"http://127.0.0.1:{_int('EMULATOR_PORT', 4566)}"
    return None


def _issuer() -> str:
    """`ISSUER`; the `chalice local` URL on the local stage; else "" (see Settings.issuer)."""
    issuer = os.environ.get("ISSUER", "").strip().rstrip("/")
    if issuer or not _flag("GATEHOUSE_EMULATOR"):
        return issuer
    return f"http://127.0.0.1:{_int('PORT', 8000)}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    stage = os.environ.get("GATEHOUSE_STAGE", "dev")
    endpoint_url = _endpoint_url()
    signing_mode = _choice("SIGNING_MODE", ("kms", "envelope"))
    return Settings(
        stage=stage,
        configured_issuer=_issuer(),
        endpoint_url=endpoint_url,
        table_prefix=os.environ.get("TABLE_PREFIX", f"gatehouse-{stage}-"),
        key_alias_prefix=os.environ.get("KEY_ALIAS_PREFIX", f"alias/gatehouse-{stage}"),
        signing_mode=signing_mode,
        access_token_alg=_access_token_alg(signing_mode),
        default_audience=os.environ.get("DEFAULT_AUDIENCE", "") or "urn:gatehouse:api",
        scopes_supported=_words("SCOPES_SUPPORTED", "api:read api:write"),
        access_token_lifetime=_int("ACCESS_TOKEN_LIFETIME", 3600),
        id_token_lifetime=_int("ID_TOKEN_LIFETIME", 3600),
        code_lifetime=_int("CODE_LIFETIME", 60),
        refresh_absolute_lifetime=_int("REFRESH_ABSOLUTE_LIFETIME", 30 * 86400),
        refresh_idle_lifetime=_int("REFRESH_IDLE_LIFETIME", 14 * 86400),
        refresh_grace_seconds=_int("REFRESH_GRACE_SECONDS", 0),
        password_backoff_after=_int("PASSWORD_BACKOFF_AFTER", 5),
        password_backoff_cap=_int("PASSWORD_BACKOFF_CAP", 15 * 60),
        password_daily_failure_limit=_int("PASSWORD_DAILY_FAILURE_LIMIT", 100),
        password_source_backoff_after=_int("PASSWORD_SOURCE_BACKOFF_AFTER", 50),
        password_source_backoff_cap=_int("PASSWORD_SOURCE_BACKOFF_CAP", 60),
        device_cookie_lifetime=_int("DEVICE_COOKIE_LIFETIME", 180 * 86400),
        session_lifetime=_int("SESSION_LIFETIME", 8 * 3600),
        device_code_lifetime=_int("DEVICE_CODE_LIFETIME", 600),
        device_poll_interval=_int("DEVICE_POLL_INTERVAL", 5),
        user_code_max_failures=_int("USER_CODE_MAX_FAILURES", 5),
        user_code_failure_window=_int("USER_CODE_FAILURE_WINDOW", 600),
        client_cache_seconds=_int("CLIENT_CACHE_SECONDS", 60),
        client_cache_size=_int("CLIENT_CACHE_SIZE", 1000),
        client_miss_cache_size=_int("CLIENT_MISS_CACHE_SIZE", 100),
        token_rate_per_client=_int("TOKEN_RATE_PER_CLIENT", 20),
        token_burst_per_client=_int("TOKEN_BURST_PER_CLIENT", 200),
        token_rate_batch=_int("TOKEN_RATE_BATCH", 10),
        token_rate_local_percent=_int("TOKEN_RATE_LOCAL_PERCENT", 25),
        device_authorization_rate=_int("DEVICE_AUTHORIZATION_RATE", 1),
        device_authorization_burst=_int("DEVICE_AUTHORIZATION_BURST", 10),
        keys_cache_seconds=_int("KEYS_CACHE_SECONDS", 300),
        key_retire_seconds=_int("KEY_RETIRE_SECONDS", 2 * 86400),
        key_rotation_days=_int("KEY_ROTATION_DAYS", 30),
        key_publish_seconds=_int("KEY_PUBLISH_SECONDS", 86400),
        max_body_bytes=_int("MAX_BODY_BYTES", 64 * 1024),
        argon2_memory_kib=_int("ARGON2_MEMORY_KIB", 19 * 1024),
        argon2_iterations=_int("ARGON2_ITERATIONS", 2),
        argon2_lanes=_int("ARGON2_LANES", 1),
        aws_retry_attempts=_int("AWS_RETRY_ATTEMPTS", 2),
        consent_lifetime=_int("CONSENT_LIFETIME", 90 * 86400),
        log_level=_choice("LOG_LEVEL", ("INFO", "DEBUG", "WARNING", "ERROR")),
        registration=_choice("REGISTRATION", ("off", "open", "token")),
        registration_rate_per_source=_int("REGISTRATION_RATE_PER_SOURCE", 10),
        registered_client_idle_days=_int("REGISTERED_CLIENT_IDLE_DAYS", 30),
        outbound_timeout_seconds=float(os.environ.get("OUTBOUND_TIMEOUT_SECONDS", "") or 2),
        outbound_cache_min_seconds=_int("OUTBOUND_CACHE_MIN_SECONDS", 60),
        outbound_cache_max_seconds=_int("OUTBOUND_CACHE_MAX_SECONDS", 86400),
        outbound_cache_size=_int("OUTBOUND_CACHE_SIZE", 1000),
        client_document_max_bytes=_int("CLIENT_DOCUMENT_MAX_BYTES", 5120),
        jwks_uri_max_bytes=_int("JWKS_URI_MAX_BYTES", 32768),
        client_assertion_max_seconds=_int("CLIENT_ASSERTION_MAX_SECONDS", 3600),
        sign_in_step_seconds=_int("SIGN_IN_STEP_SECONDS", 300),
        account_reauth_seconds=_int("ACCOUNT_REAUTH_SECONDS", 300),
        service_name=os.environ.get("SERVICE_NAME", "") or "Gatehouse",
    )
