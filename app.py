"""Gatehouse routes: one small function per endpoint; the protocol lives in chalicelib/.

Each view imports its endpoint module when it is first called, because Lambda serves a
cold container's first request on one route: measured (30 fresh processes each, median CPU),
importing every endpoint up front costs a cold /token 16 ms and a cold /login 45 ms more
than importing that route's own modules.
"""

from chalice import Chalice, CORSConfig, Rate, Response
from chalice.app import CloudWatchEvent

from chalicelib import container, observability, stage_issuer
from chalicelib.http import json_errors, public_json, strict_transport_security
from chalicelib.pages import page_errors

# observability.py, not Chalice, configures the `gatehouse` logger (Chalice would set ERROR).
app = Chalice(app_name="gatehouse", configure_logs=False)
# Every event, outermost: the container collects garbage again once its first event is
# answered (container.py: a cold start's objects live as long as the container).
app.register_middleware(container.started, "all")
# Every request: one structured log line and one flush of its metrics (outermost); then,
# on a stage whose ISSUER is not pinned yet, the issuer API Gateway's context names; then,
# inside that issuer, HSTS on every response of an https one.
app.register_middleware(observability.observe, "http")
app.register_middleware(stage_issuer.middleware, "http")
app.register_middleware(strict_transport_security, "http")

# Accept any media type so that a non-form body gets an RFC 6749 error from http.py,
# not Chalice's own 415 body.
FORM_CONTENT_TYPES = ["application/x-www-form-urlencoded", "*/*"]
# A GET has no body: whatever Content-Type it names, Chalice must not answer its own 415.
ANY_CONTENT_TYPE = ["*/*"]

# Browser apps (SPAs with PKCE) call these from their own origin. None of them reads a
# cookie, so any origin may: the bearer token or client credentials are the authority.
# Pages (/authorize, /login, ...) and /introspect get no CORS.
BROWSER_API = CORSConfig(allow_origin="*", allow_headers=["Authorization"], max_age=600)


@app.route(
    "/.well-known/openid-configuration",
    methods=["GET"],
    content_types=ANY_CONTENT_TYPE,
    cors=BROWSER_API,
)
@app.route(
    "/.well-known/oauth-authorization-server",
    methods=["GET"],
    content_types=ANY_CONTENT_TYPE,
    cors=BROWSER_API,
)
@json_errors
def discovery_document() -> Response:
    from chalicelib.endpoints import discovery

    return public_json(discovery.metadata())


@app.route(
    "/.well-known/openid-configuration/{issuer_path}",
    methods=["GET"],
    content_types=ANY_CONTENT_TYPE,
    cors=BROWSER_API,
)
@app.route(
    "/.well-known/oauth-authorization-server/{issuer_path}",
    methods=["GET"],
    content_types=ANY_CONTENT_TYPE,
    cors=BROWSER_API,
)
@json_errors
def path_inserted_discovery_document(issuer_path: str) -> Response:
    from chalicelib.endpoints import discovery

    return public_json(discovery.path_inserted_metadata(issuer_path))


@app.route("/jwks.json", methods=["GET"], content_types=ANY_CONTENT_TYPE, cors=BROWSER_API)
@json_errors
def jwks_document() -> Response:
    from chalicelib.endpoints import discovery

    return public_json(discovery.jwks())


@app.route("/token", methods=["POST"], content_types=FORM_CONTENT_TYPES, cors=BROWSER_API)
@json_errors
def token_endpoint() -> Response:
    from chalicelib.endpoints import token

    return token.handle(app.current_request)


@app.route("/revoke", methods=["POST"], content_types=FORM_CONTENT_TYPES, cors=BROWSER_API)
@json_errors
def revocation_endpoint() -> Response:
    from chalicelib.endpoints import revocation

    return revocation.handle(app.current_request)


@app.route("/introspect", methods=["POST"], content_types=FORM_CONTENT_TYPES)
@json_errors
def introspection_endpoint() -> Response:
    from chalicelib.endpoints import introspection

    return introspection.handle(app.current_request)


@app.route(
    "/device_authorization", methods=["POST"], content_types=FORM_CONTENT_TYPES, cors=BROWSER_API
)
@json_errors
def device_authorization_endpoint() -> Response:
    from chalicelib.endpoints import device_authorization

    return device_authorization.handle(app.current_request)


@app.route("/register", methods=["POST"], content_types=ANY_CONTENT_TYPE, cors=BROWSER_API)
@json_errors
def registration_endpoint() -> Response:
    from chalicelib.endpoints import register

    return register.register(app.current_request)


@app.route(
    "/register/{client_id}",
    methods=["GET", "PUT", "DELETE"],
    content_types=ANY_CONTENT_TYPE,
    cors=BROWSER_API,
)
@json_errors
def client_configuration_endpoint(client_id: str) -> Response:
    from chalicelib.endpoints import register

    return register.manage(app.current_request, client_id)


@app.route("/login", methods=["GET"], content_types=ANY_CONTENT_TYPE)
@page_errors
def login_page() -> Response:
    from chalicelib.endpoints import login

    return login.show(app.current_request)


@app.route("/login", methods=["POST"], content_types=FORM_CONTENT_TYPES)
@page_errors
def login_submit() -> Response:
    from chalicelib.endpoints import login

    return login.submit(app.current_request)


@app.route("/account/security", methods=["GET"], content_types=ANY_CONTENT_TYPE)
@page_errors
def account_security_page() -> Response:
    from chalicelib.endpoints import account

    return account.show(app.current_request)


@app.route("/account/security", methods=["POST"], content_types=FORM_CONTENT_TYPES)
@page_errors
def account_security_submit() -> Response:
    from chalicelib.endpoints import account

    return account.submit(app.current_request)


@app.route("/logout", methods=["GET", "POST"], content_types=FORM_CONTENT_TYPES)
@page_errors
def logout_endpoint() -> Response:
    from chalicelib.endpoints import logout

    return logout.handle(app.current_request)


@app.route("/authorize", methods=["GET", "POST"], content_types=FORM_CONTENT_TYPES)
@page_errors
def authorization_endpoint() -> Response:
    from chalicelib.endpoints import authorize

    return authorize.handle(app.current_request)


@app.route("/consent", methods=["POST"], content_types=FORM_CONTENT_TYPES)
@page_errors
def consent_submit() -> Response:
    from chalicelib.endpoints import authorize

    return authorize.consent(app.current_request)


@app.route("/userinfo", methods=["GET", "POST"], content_types=FORM_CONTENT_TYPES, cors=BROWSER_API)
@json_errors
def userinfo_endpoint() -> Response:
    from chalicelib.endpoints import userinfo

    return userinfo.handle(app.current_request)


@app.route("/device", methods=["GET"], content_types=ANY_CONTENT_TYPE)
@page_errors
def device_page() -> Response:
    from chalicelib.endpoints import device

    return device.show(app.current_request)


@app.route("/device", methods=["POST"], content_types=FORM_CONTENT_TYPES)
@page_errors
def device_submit() -> Response:
    from chalicelib.endpoints import device

    return device.submit(app.current_request)


# Signing-key rotation (chalicelib/signing/rotation.py): hourly, so a due step waits at most
# an hour, and a run that finds nothing due costs one Scan per algorithm. Its own Lambda,
# with its own least-privilege role (.chalice/policy-rotate-<stage>.json).
@app.schedule(Rate(1, unit=Rate.HOURS), name="rotate_keys")
def rotate_keys(event: CloudWatchEvent) -> dict[str, object]:
    from chalicelib.endpoints import scheduled_rotation

    return scheduled_rotation.run(event.to_dict())
