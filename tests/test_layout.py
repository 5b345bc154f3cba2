"""The rooms of DESIGN.md ("Layout") hold: who may import what, and no import circles.

Imports are read from the source (function-local ones included), so a lazy import cannot
hide a dependency. Floors, lowest first; a module may import its own floor and those below.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FLOORS = (
    (
        "chalicelib.config",
        "chalicelib.container",
        "chalicelib.errors",
        "chalicelib.observability",
        "chalicelib.opaque",
        "chalicelib.pkce",
    ),
    ("chalicelib.http", "chalicelib.stage_issuer"),
    ("chalicelib.models", "chalicelib.tables"),
    ("chalicelib.signing",),
    ("chalicelib.records", "chalicelib.outbound"),
    ("chalicelib.tokens",),
    ("chalicelib.grants",),
    ("chalicelib.pages",),
    ("chalicelib.endpoints",),
    ("chalicelib.admin", "chalicelib.emulator", "chalicelib.local_server"),
)
TABLE_FLOORS = ("chalicelib.records", "chalicelib.tokens", "chalicelib.signing")
TABLES = ("chalicelib.models", "chalicelib.tables")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def _sources() -> dict[str, Path]:
    found = {_module_name(p): p for p in (ROOT / "chalicelib").rglob("*.py")}
    return {**found, "app": ROOT / "app.py"}


@cache
def imports_of(module: str) -> frozenset[tuple[str, str]]:
    """(imported module, imported name or "") for every import statement in `module`."""
    tree = ast.parse(_sources()[module].read_text())
    found: set[tuple[str, str]] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update((alias.name, "") for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                target = submodule if submodule in _sources() else node.module
                found.add((target, "" if target == submodule else alias.name))
    return frozenset(found)


def ours(module: str) -> set[str]:
    return {name for name, _ in imports_of(module) if name in _sources()}


def floor(module: str) -> int:
    for level, prefixes in enumerate(FLOORS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return level
    raise AssertionError(f"{module} is in no room of DESIGN.md's layout")


def in_any(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def test_every_module_is_in_a_room_and_imports_only_its_floor_and_below() -> None:
    upward = [
        f"{module} -> {target}"
        for module in _sources()
        if module != "app"
        for target in ours(module)
        if floor(target) > floor(module)
    ]
    assert upward == []


def test_there_are_no_import_circles() -> None:
    graph = {module: ours(module) for module in _sources()}
    circles = []
    for start in graph:
        stack, seen = [(start, [start])], set()
        while stack:
            node, path = stack.pop()
            for nxt in graph[node]:
                if nxt == start:
                    circles.append(" -> ".join([*path, start]))
                elif nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, [*path, nxt]))
    assert circles == []


def test_only_signing_talks_to_kms() -> None:
    # botocore directly, on the tables' session: importing boto3 is cold-start time for nothing
    boto3_users = {m for m in _sources() if any(n == "boto3" for n, _ in imports_of(m))}
    assert boto3_users == set()
    aws_client = re.compile(r'create_client\(\s*"[a-z0-9-]+"')  # botocore's, by service name
    client_makers = {m for m, path in _sources().items() if aws_client.search(path.read_text())}
    assert client_makers == {"chalicelib.signing.kms"}
    kms_users = {m for m in _sources() if "chalicelib.signing.kms" in ours(m)}
    assert kms_users and all(m.startswith("chalicelib.signing.") for m in kms_users)


def test_only_records_tokens_and_signing_touch_the_tables() -> None:
    # models.py also holds the one clock, now(), which every floor may read; the emulator
    # creates the tables from the models (tables.py), as DESIGN.md says.
    allowed_elsewhere = {"now"}
    touching = {
        f"{module}: {target}.{name}"
        for module in _sources()
        if not in_any(module, (*TABLE_FLOORS, *TABLES))
        for target, name in imports_of(module)
        if target in TABLES and name not in allowed_elsewhere
    }
    assert touching == {"chalicelib.emulator: chalicelib.tables.create_tables"}


def test_a_grant_never_talks_http() -> None:
    for module in (m for m in _sources() if m.startswith("chalicelib.grants")):
        names = imports_of(module)
        assert not any(n == "chalice" or n.startswith("chalice.") for n, _ in names), module
        assert {name for n, name in names if n == "chalicelib.http"} <= {"Params"}, module


def test_app_only_routes() -> None:
    # and its middleware (container.py, observability.py, stage_issuer.py), which wrap routes;
    # chalice.app: the scheduled function's CloudWatchEvent is not exported by `chalice`.
    allowed = {
        "chalice",
        "chalice.app",
        "chalicelib.http",
        "chalicelib.pages",
        "chalicelib.observability",
        "chalicelib.stage_issuer",
        "chalicelib.container",
    }
    for target, _ in imports_of("app"):
        assert target in allowed or target.startswith("chalicelib.endpoints"), target
