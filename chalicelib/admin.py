"""The admin CLI: `python -m chalicelib.admin --stage STAGE <noun> <verb> ...`, JSON out.

It takes the stage's environment from `.chalice/config.json` (values already in the
environment win, so EMULATOR_PORT/AWS_ENDPOINT_URL point it at any local stack). Wrong
arguments exit 2 with a message; a missing record exits 1.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from pynamodb.exceptions import DoesNotExist

PROJECT_DIR = Path(__file__).resolve().parent.parent


def apply_stage_env(stage: str, project_dir: Path = PROJECT_DIR) -> None:
    config = json.loads((project_dir / ".chalice" / "config.json").read_text())
    if stage not in config.get("stages", {}):
        raise SystemExit(f"error: unknown stage {stage!r}")
    env = {**config.get("environment_variables", {})}
    env.update(config["stages"][stage].get("environment_variables", {}))
    for name, value in env.items():
        os.environ.setdefault(name, value)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m chalicelib.admin")
    parser.add_argument("--stage", required=True, help="local, dev or prod")
    nouns = parser.add_subparsers(dest="noun", required=True)

    client = nouns.add_parser("client").add_subparsers(dest="verb", required=True)
    create = client.add_parser("create")
    create.add_argument("--name", required=True)
    create.add_argument("--grant-type", action="append", required=True, dest="grant_types")
    create.add_argument("--redirect-uri", action="append", default=[], dest="redirect_uris")
    create.add_argument(
        "--post-logout-redirect-uri", action="append", default=[], dest="post_logout_uris"
    )
    create.add_argument("--scope", default="")
    create.add_argument("--public", action="store_true")
    create.add_argument("--auth-method")
    create.add_argument("--response-type", action="append", dest="response_types")
    create.add_argument("--allow-tokens-via-browser", action="store_true")
    create.add_argument("--require-pkce", action="store_true")
    create.add_argument("--allow-plain-pkce", action="store_true")
    create.add_argument("--can-introspect", action="store_true")
    create.add_argument("--id-token-alg", choices=["RS256", "ES256"], default="RS256")
    create.add_argument(
        "--access-token-alg", choices=["RS256", "ES256"], help="default: ACCESS_TOKEN_ALG"
    )
    create.add_argument("--access-token-lifetime", type=int)
    create.add_argument("--resource", action="append", default=[], dest="resources")
    create.add_argument("--jwks-file", help="private_key_jwt: a file holding the JWK Set")
    create.add_argument("--jwks-uri", help="private_key_jwt: where the client publishes it")
    create.add_argument("--auth-signing-alg", choices=["ES256", "RS256", "PS256"])
    create.add_argument(
        "--require-mfa", action="store_true", help="every sign-in for it must be multi-factor"
    )
    for verb in ("show", "delete", "rotate-secret"):
        client.add_parser(verb).add_argument("client_id")
    client.add_parser("list")

    _user_parser(nouns.add_parser("user").add_subparsers(dest="verb", required=True))

    resource = nouns.add_parser("resource").add_subparsers(dest="verb", required=True)
    resource_create = resource.add_parser("create")
    resource_create.add_argument("--uri", required=True)
    resource_create.add_argument("--scope", default="")
    resource_create.add_argument(
        "--open", action="store_true", help="dynamically registered clients may ask for it"
    )
    for verb in ("show", "delete"):
        resource.add_parser(verb).add_argument("--uri", required=True)
    resource.add_parser("list")

    tokens = nouns.add_parser("registration-token").add_subparsers(dest="verb", required=True)
    tokens.add_parser("create").add_argument(
        "--expires-in", type=int, default=86400, help="seconds (default: a day)"
    )
    tokens.add_parser("revoke").add_argument("--token-stdin", action="store_true", required=True)

    keys = nouns.add_parser("keys").add_subparsers(dest="verb", required=True)
    keys.add_parser("list")
    keys.add_parser("init", help="an active key per algorithm, in the stage's SIGNING_MODE")
    rotate = keys.add_parser("rotate")
    rotate.add_argument("--alg", choices=["RS256", "ES256"], action="append", dest="algs")
    return parser


def _user_parser(user: Any) -> None:
    user_create = user.add_parser("create")
    user_create.add_argument("--username", required=True)
    user_create.add_argument("--password-stdin", action="store_true", required=True)
    user_create.add_argument("--email")
    user_create.add_argument("--name")
    set_password = user.add_parser("set-password")
    set_password.add_argument("--username", required=True)
    set_password.add_argument("--password-stdin", action="store_true", required=True)
    for verb in ("disable", "enable", "delete", "show"):
        user.add_parser(verb).add_argument("--username", required=True)
    mfa = user.add_parser("mfa", help="second factors").add_subparsers(dest="mfa", required=True)
    for verb, text in (
        ("reset", "remove the person's authenticator app, passkeys and recovery codes"),
        ("require", "every sign-in must be multi-factor (a person without one enrols first)"),
        ("optional", "a second factor is asked for only if the person has one"),
    ):
        mfa.add_parser(verb, help=text).add_argument("--username", required=True)


def _client(args: argparse.Namespace) -> Any:
    from chalicelib.records import clients, registration

    if args.verb == "create":
        client, secret = registration.create_client(
            name=args.name,
            grant_types=args.grant_types,
            redirect_uris=args.redirect_uris,
            post_logout_redirect_uris=args.post_logout_uris,
            scope=args.scope,
            public=args.public,
            auth_method=args.auth_method,
            response_types=args.response_types,
            allow_tokens_via_browser=args.allow_tokens_via_browser,
            require_pkce=args.require_pkce,
            allow_plain_pkce=args.allow_plain_pkce,
            can_introspect=args.can_introspect,
            id_token_signed_response_alg=args.id_token_alg,
            access_token_signed_response_alg=args.access_token_alg,
            access_token_lifetime=args.access_token_lifetime,
            resources=args.resources,
            jwks=_jwks_file(args.jwks_file) if args.jwks_file else None,
            jwks_uri=args.jwks_uri,
            token_endpoint_auth_signing_alg=args.auth_signing_alg,
            require_mfa=args.require_mfa,
        )
        view = registration.describe(client)
        return {**view, "client_secret": secret} if secret else view
    if args.verb == "list":
        return [registration.describe(client) for client in clients.all_clients()]
    if args.verb == "show":
        client = clients.get_client(args.client_id)
        if client is None:
            raise DoesNotExist()
        return registration.describe(client)
    if args.verb == "rotate-secret":
        return {
            "client_id": args.client_id,
            "client_secret": registration.rotate_secret(args.client_id),
        }
    clients.delete_client(args.client_id)
    return {"client_id": args.client_id, "deleted": True}


def _user(args: argparse.Namespace) -> Any:
    from chalicelib.records import users

    if args.verb == "create":
        user = users.create_user(args.username, _read_password(), args.email, args.name)
    elif args.verb == "set-password":
        user = users.set_password(args.username, _read_password())
    elif args.verb in ("disable", "enable"):
        user = users.set_disabled(args.username, args.verb == "disable")
    elif args.verb == "delete":
        users.delete_user(args.username)
        return {"username": args.username, "deleted": True}
    elif args.verb == "mfa":
        user = _user_mfa(args.mfa, args.username)
    else:
        user = users.get_user(args.username)
        if user is None:
            raise DoesNotExist()
    return {
        "username": user.username,
        "sub": user.sub,
        "email": user.email,
        "name": user.name,
        "disabled": bool(user.disabled),
        "mfa": {
            "required": bool(user.require_mfa),
            "authenticator_app": bool(user.totp_secret),
            "passkeys": int(user.passkey_count or 0),
            "recovery_codes": len(user.recovery_codes or ()),
        },
    }


def _user_mfa(verb: str, username: str) -> Any:
    from chalicelib.records import second_factors, users

    if verb == "reset":
        user = users.get_user(username)
        if user is None:
            raise DoesNotExist()
        second_factors.reset(user)
    else:
        second_factors.set_required(username, verb == "require")
    user = users.get_user(username)
    if user is None:
        raise DoesNotExist()
    return user


def _resource_view(resource: Any) -> dict[str, Any]:
    return {"uri": resource.uri, "scopes": list(resource.scopes), "open": resource.open}


def _resource(args: argparse.Namespace) -> Any:
    from chalicelib.records import resources

    if args.verb == "create":
        return _resource_view(resources.create_resource(args.uri, args.scope, open=args.open))
    if args.verb == "list":
        return [_resource_view(resource) for resource in resources.all_resources()]
    if args.verb == "show":
        resource = resources.get_resource(args.uri)
        if resource is None:
            raise DoesNotExist()
        return _resource_view(resource)
    resources.delete_resource(args.uri)
    return {"uri": args.uri, "deleted": True}


def _registration_token(args: argparse.Namespace) -> Any:
    from chalicelib.records import registration_tokens

    if args.verb == "create":
        token, expires_at = registration_tokens.create_token(args.expires_in)
        return {"initial_access_token": token, "expires_at": expires_at}
    registration_tokens.revoke_token(sys.stdin.readline().strip())
    return {"revoked": True}


def _read_password() -> str:
    password = sys.stdin.readline().rstrip("\n")
    if len(password) < 8:
        raise ValueError("password must have at least 8 characters")
    return password


def _key_view(key: Any) -> dict[str, Any]:
    mode = "envelope" if key.encrypted_private_key else "kms"
    return {
        "kid": key.kid,
        "alg": key.alg,
        "state": key.state,
        "mode": mode,
        "kms_key_id": key.kms_key_id,
    }


def _keys(args: argparse.Namespace) -> Any:
    from chalicelib.signing import keys, rotation

    if args.verb == "init":
        return [_key_view(rotation.ensure_active(alg)) for alg in keys.ALGORITHMS]
    if args.verb == "rotate":
        return [rotation.rotate(alg) for alg in args.algs or keys.ALGORITHMS]
    keys.reset_cache()
    return [_key_view(key) for key in keys.signing_keys()]


def _jwks_file(path: str) -> str:
    try:
        return Path(path).read_text()
    except (OSError, UnicodeError) as exc:
        raise ValueError(f"cannot read --jwks-file {path}: {exc}") from exc


def run(argv: list[str]) -> tuple[int, Any]:
    """Run one command; returns (exit code, JSON-able result)."""
    args = _parser().parse_args(argv)
    apply_stage_env(args.stage)
    from botocore.exceptions import BotoCoreError, ClientError
    from pynamodb.exceptions import PynamoDBException

    from chalicelib.errors import InvalidClientMetadata, InvalidRequest

    try:
        commands = {
            "client": _client,
            "user": _user,
            "keys": _keys,
            "resource": _resource,
            "registration-token": _registration_token,
        }
        return 0, commands[args.noun](args)
    except InvalidClientMetadata as exc:
        return 2, {"error": exc.description, "code": exc.error}
    except InvalidRequest as exc:
        return 2, {"error": exc.description}
    except ValueError as exc:
        return 2, {"error": str(exc)}
    except DoesNotExist:
        return 1, {"error": "not found"}
    except (PynamoDBException, BotoCoreError, ClientError) as exc:
        return 1, {"error": f"AWS unreachable or refused: {exc}"}


def main(argv: list[str] | None = None) -> int:
    code, result = run(sys.argv[1:] if argv is None else argv)
    print(json.dumps(result, indent=2), file=sys.stdout if code == 0 else sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
