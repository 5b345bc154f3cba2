"""The grant registry: grant_type -> module with GRANT_TYPE and handle(params, client).

RFC 6749 §4 and its extensions. The table is explicit: a grant exists when it is listed
here, and discovery advertises exactly these keys.
"""

from __future__ import annotations

from types import ModuleType

from chalicelib.grants import (
    authorization_code,
    client_credentials,
    device_code,
    password,
    refresh_token,
)

GRANTS: dict[str, ModuleType] = {
    authorization_code.GRANT_TYPE: authorization_code,
    client_credentials.GRANT_TYPE: client_credentials,
    password.GRANT_TYPE: password,
    refresh_token.GRANT_TYPE: refresh_token,
    device_code.GRANT_TYPE: device_code,
}
