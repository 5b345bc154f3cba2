"""Observability: one structured log line and one flush of metrics per HTTP request.

Logs: AWS Lambda Powertools' Logger owns the `gatehouse` logger, which every module logs
to, at `LOG_LEVEL` (default INFO), so the warnings operators alert on reach CloudWatch as
JSON. Metrics: CloudWatch Embedded Metric Format lines printed by Powertools, namespace
`Gatehouse`, dimension `stage`, plus `grant_type` on TokensIssued and `error` on Errors.
Decisions:
* The middleware (`observe`) is the one place that logs the request line and flushes the
  metrics, once per request, after the response is made. A request with nothing to count
  prints no metrics.
* A module that decides an event reports it there with `count(NAME)`; the endpoints
  annotate the request with `note(client_id=..., grant_type=..., error=...)`. Both record
  into the current request's state, a ContextVar, so the threads of `chalice local` do not
  mix; outside a request (the admin CLI) they do nothing.
* The request line carries names, codes and numbers, never a parameter that could hold a
  secret: the only request values in it are client_id and grant_type, cut to 100 characters.
* Cost (a third of a warm token's CPU, more than its signature: bench/results.md): the
  Logger is built once per container, with a JSON encoder built once, no attempt to parse
  our text messages as JSON and no thread or process names gathered; each thread keeps one
  EphemeralMetrics and reuses it (a flush empties it), so a request builds no Powertools
  object of its own.
* AWS calls are counted once per API call (retries are not calls) by `aws_call`: the KMS
  client calls it from botocore's `before-call` event (signing/kms.py), and pynamodb from
  its documented `pre_dynamodb_send` signal, connected here (pynamodb signals need
  `blinker`, which requirements.txt lists).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit
from chalice.app import Request, Response
from pynamodb.signals import pre_dynamodb_send

from chalicelib.config import get_settings

NAMESPACE = "Gatehouse"
STAGE_DIMENSION = "stage"
TOKENS_ISSUED = "TokensIssued"  # dimension grant_type
ERRORS = "Errors"  # dimension error: the RFC error code answered
SERVICE_UNAVAILABLE = "ServiceUnavailable"  # a 503 answered
KMS_THROTTLED = "KmsThrottled"  # a KMS call that failed with ThrottlingException
REFRESH_REUSE_DETECTED = "RefreshReuseDetected"  # a rotated refresh token presented again
LOCKOUTS = "Lockouts"  # a password attempt refused by the brute-force limits
WRONG_USER_CODES = "WrongUserCodes"  # a well-formed device user code that matched nothing
RATE_LIMITED = "RateLimited"  # a request refused by a client's quota (records/quotas.py)
METRICS = (
    TOKENS_ISSUED,
    ERRORS,
    SERVICE_UNAVAILABLE,
    KMS_THROTTLED,
    REFRESH_REUSE_DETECTED,
    LOCKOUTS,
    WRONG_USER_CODES,
    RATE_LIMITED,
)
MAX_NOTE = 100


@dataclass
class RequestState:
    """What the current request has noted and counted so far."""

    started: float = field(default_factory=time.perf_counter)
    notes: dict[str, str] = field(default_factory=dict)
    counts: Counter[tuple[str, tuple[tuple[str, str], ...]]] = field(default_factory=Counter)
    aws_calls: int = 0


_current: ContextVar[RequestState | None] = ContextVar("gatehouse_request", default=None)


@lru_cache(maxsize=1)
def logger() -> Logger:
    """The Powertools Logger behind `logging.getLogger("gatehouse")`, at LOG_LEVEL."""
    # Powertools' own serializer settings (compact, UTF-8 kept, str() for the rest) in one
    # encoder, rather than a new one per line; messages are text, never JSON to decode.
    encoder = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=str)
    # The logging HOWTO's "Optimization": no line of ours names a thread or a process.
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    return Logger(
        service="gatehouse",
        level=get_settings().log_level,
        json_serializer=encoder.encode,
        json_deserializer=_text_message,
    )


def _text_message(message: str) -> str:
    return message


_emf = threading.local()


def _metrics() -> EphemeralMetrics:
    """This thread's EMF provider (flushing empties it); service="" keeps
    POWERTOOLS_SERVICE_NAME from adding a dimension the alarms lack."""
    metrics = getattr(_emf, "metrics", None)
    if metrics is None:
        metrics = _emf.metrics = EphemeralMetrics(namespace=NAMESPACE, service="")
    return metrics


def note(
    *, client_id: str | None = None, grant_type: str | None = None, error: str | None = None
) -> None:
    """Annotate the current request's log line; a value noted again replaces the first."""
    state = _current.get()
    if state is None:
        return
    fields = {"client_id": client_id, "grant_type": grant_type, "error": error}
    state.notes.update({name: value[:MAX_NOTE] for name, value in fields.items() if value})


def count(metric: str, **dimensions: str) -> None:
    """Count one event of `metric` (one of METRICS) for the current request."""
    state = _current.get()
    if state is not None:
        state.counts[(metric, tuple(sorted(dimensions.items())))] += 1


def aws_call(*_: Any, **__: Any) -> None:
    """A botocore event handler and a pynamodb signal receiver: one AWS API call is starting."""
    state = _current.get()
    if state is not None:
        state.aws_calls += 1


pre_dynamodb_send.connect(aws_call)


def observe(request: Request, get_response: Callable[[Request], Response]) -> Response:
    """The HTTP middleware: run the request, then log its line and flush its metrics."""
    log = logger()
    state = RequestState()
    token = _current.set(state)
    ids = _request_ids(request)
    log.thread_safe_append_keys(**ids)
    try:
        response = get_response(request)
        _finish(log, request, response.status_code, state, ids)
        return response
    finally:
        log.thread_safe_clear_keys()
        _current.reset(token)


def outcome(status: int, error: str | None) -> str:
    """ok, refused (the client's request was answered with an error), unavailable, failed."""
    if status == 503:
        return "unavailable"
    if status >= 500:
        return "failed"
    return "refused" if error or status >= 400 else "ok"


def _request_ids(request: Request) -> dict[str, str]:
    ids = {
        "request_id": (request.context or {}).get("requestId"),  # API Gateway's
        "lambda_request_id": getattr(request.lambda_context, "aws_request_id", None),
    }
    return {name: value for name, value in ids.items() if value}


def _finish(
    log: Logger, request: Request, status: int, state: RequestState, ids: dict[str, str]
) -> None:
    error = state.notes.get("error")
    if error:
        count(ERRORS, error=error)
    if status == 503:
        count(SERVICE_UNAVAILABLE)
    line = {
        **ids,
        "route": (request.context or {}).get("resourcePath"),
        "method": request.method,
        "status": status,
        **state.notes,
        "outcome": outcome(status, error),
        "duration_ms": round((time.perf_counter() - state.started) * 1000, 1),
        "aws_calls": state.aws_calls,
    }
    log.info("request", extra=line)
    _flush(state.counts)


def _flush(counts: Counter[tuple[str, tuple[tuple[str, str], ...]]]) -> None:
    """One EMF line per dimension set; nothing at all when nothing was counted."""
    by_dimensions: dict[tuple[tuple[str, str], ...], list[tuple[str, int]]] = {}
    for (metric, dimensions), value in counts.items():
        by_dimensions.setdefault(dimensions, []).append((metric, value))
    stage = get_settings().stage
    metrics = _metrics()
    for dimensions, values in by_dimensions.items():
        try:
            metrics.add_dimension(STAGE_DIMENSION, stage)
            for name, value in dimensions:
                metrics.add_dimension(name, value)
            for metric, value in values:
                metrics.add_metric(name=metric, unit=MetricUnit.Count, value=value)
            metrics.flush_metrics()  # prints the set and empties the provider
        except BaseException:
            metrics.clear_metrics()  # nothing of a failed set may leak into the next one
            raise
