"""Gatehouse routes: one small function per endpoint; the protocol lives in chalicelib/.

Endpoint modules are imported inside the views so a cold start loads only what its
route needs.
"""

from chalice import Chalice, CORSConfig

from chalicelib.http import json_errors
from chalicelib.pages import page_errors

app = Chalice(app_name="gatehouse")

# Accept any media type so that a non-form body gets an RFC 6749 error from http.py,
# not Chalice's own 415 body.
FORM_CONTENT_TYPES = ["application/x-www-form-urlencoded", "*/*"]

# Browser apps (SPAs with PKCE) call these from their own origin. None of them reads a
# cookie, so any origin may: the bearer token or client credentials are the authority.
# Pages (/authorize, /login, ...) and /introspect get no CORS.
BROWSER_API = CORSConfig(allow_origin="*", allow_headers=["Authorization"], max_age=600)


@app.route("/.well-known/openid-configuration", methods=["GET"], cors=BROWSER_API)
@app.route("/.well-known/oauth-authorization-server", methods=["GET"], cors=BROWSER_API)
@json_errors
def discovery():
    from chalicelib.endpoints.discovery import metadata
    from chalicelib.http import public_json

    return public_json(metadata())


@app.route("/jwks.json", methods=["GET"], cors=BROWSER_API)
@json_errors
def jwks():
    from chalicelib.endpoints.discovery import jwks
    from chalicelib.http import public_json

    return public_json(jwks())


@app.route("/token", methods=["POST"], content_types=FORM_CONTENT_TYPES, cors=BROWSER_API)
@json_errors
def token():
    from chalicelib.endpoints import token

    return token.handle(app.current_request)


@app.route("/revoke", methods=["POST"], content_types=FORM_CONTENT_TYPES, cors=BROWSER_API)
@json_errors
def revoke():
    from chalicelib.endpoints import revocation

    return revocation.handle(app.current_request)


@app.route("/introspect", methods=["POST"], content_types=FORM_CONTENT_TYPES)
@json_errors
def introspect():
    from chalicelib.endpoints import introspection

    return introspection.handle(app.current_request)


@app.route(
    "/device_authorization", methods=["POST"], content_types=FORM_CONTENT_TYPES, cors=BROWSER_API
)
@json_errors
def device_authorization():
    from chalicelib.endpoints import device_authorization

    return device_authorization.handle(app.current_request)


@app.route("/login", methods=["GET"])
@page_errors
def login_page():
    from chalicelib.endpoints import login

    return login.show(app.current_request)


@app.route("/login", methods=["POST"], content_types=FORM_CONTENT_TYPES)
@page_errors
def login_submit():
    from chalicelib.endpoints import login

    return login.submit(app.current_request)


@app.route("/logout", methods=["GET", "POST"], content_types=FORM_CONTENT_TYPES)
@page_errors
def logout():
    from chalicelib.endpoints import logout

    return logout.handle(app.current_request)


@app.route("/authorize", methods=["GET", "POST"], content_types=FORM_CONTENT_TYPES)
@page_errors
def authorize():
    from chalicelib.endpoints import authorize

    return authorize.handle(app.current_request)


@app.route("/consent", methods=["POST"], content_types=FORM_CONTENT_TYPES)
@page_errors
def consent():
    from chalicelib.endpoints import authorize

    return authorize.consent(app.current_request)


@app.route("/userinfo", methods=["GET", "POST"], content_types=FORM_CONTENT_TYPES, cors=BROWSER_API)
@json_errors
def userinfo():
    from chalicelib.endpoints import userinfo

    return userinfo.handle(app.current_request)


@app.route("/device", methods=["GET"])
@page_errors
def device_page():
    from chalicelib.endpoints import device

    return device.show(app.current_request)


@app.route("/device", methods=["POST"], content_types=FORM_CONTENT_TYPES)
@page_errors
def device_submit():
    from chalicelib.endpoints import device

    return device.submit(app.current_request)
