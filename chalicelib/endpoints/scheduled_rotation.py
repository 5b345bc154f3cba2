"""The scheduled signing-key rotation (app.rotate_keys, an EventBridge rule every hour).

One `rotation.tick()` per invocation: every due step for every algorithm, each safe to
repeat, so a retried or overlapping invocation changes nothing. One JSON line in the log
(through observability's Logger, so it is written at LOG_LEVEL, not Chalice's ERROR) says
what moved; a DynamoDB or KMS fault propagates, so Lambda counts the invocation as
failed (and its error metric shows it), and the next hour tries again.
"""

from __future__ import annotations

from typing import Any

from chalicelib import observability
from chalicelib.signing import rotation


def run(event: dict[str, Any]) -> dict[str, Any]:
    summary = rotation.tick()
    observability.logger().info({"event": "key_rotation", **summary})
    return summary
