"""`make package STAGE=dev`: the stage's Lambda artifact, built fresh and checked.

`chalice package` fetches wheels for the Lambda platform (manylinux, CPython 3.11,
x86_64). When it cannot get one for a compiled dependency it prints "Could not install
dependencies", ships the zip without it, and reuses that zip from `.chalice/deployments/`
next time. So every run clears that cache, and the zip is refused unless it holds
cryptography's compiled binding built for Linux x86_64 and every runtime dependency that
requirements.txt names, followed through each package's own `Requires-Dist` as the zip
records it.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
BINDING = "cryptography/hazmat/bindings/_rust.abi3.so"
ELF_X86_64 = 62  # e_machine of an x86-64 ELF file
# What Lambda's python3.11 x86_64 runtime evaluates requirement markers as.
LAMBDA_MARKERS = {
    **default_environment(),
    "python_version": "3.11",
    "python_full_version": "3.11.0",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "platform_machine": "x86_64",
    "os_name": "posix",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
}


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _requirements(lines: list[str]) -> list[Requirement]:
    found = []
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            found.append(Requirement(line))
    return found


def _applies(requirement: Requirement, extras: set[str]) -> bool:
    if requirement.marker is None:
        return True
    return any(
        requirement.marker.evaluate({**LAMBDA_MARKERS, "extra": extra}) for extra in extras or {""}
    )


def missing_dependencies(archive: zipfile.ZipFile, requirements: list[Requirement]) -> list[str]:
    """Distributions the requirements need, transitively, that have no dist-info in the zip."""
    metadata = {}
    for name in archive.namelist():
        top = name.split("/", 1)[0]
        if top.endswith(".dist-info") and name.endswith("/METADATA"):
            metadata[_normalize(top.removesuffix(".dist-info").rsplit("-", 1)[0])] = name
    missing: list[str] = []
    queue = [(r, set(r.extras)) for r in requirements]
    seen: set[str] = set()
    while queue:
        requirement, extras = queue.pop()
        key = _normalize(requirement.name)
        if key in seen or not _applies(requirement, extras):
            continue
        seen.add(key)
        if key not in metadata:
            missing.append(requirement.name)
            continue
        fields = Parser().parsestr(archive.read(metadata[key]).decode())
        for line in fields.get_all("Requires-Dist") or []:
            needed = Requirement(line)
            queue.append((needed, set(needed.extras) | extras))
    return sorted(missing)


def problems(zip_path: Path, requirements_file: Path = ROOT / "requirements.txt") -> list[str]:
    """Why this artifact would fail in Lambda; empty when it is fit to deploy."""
    found = []
    with zipfile.ZipFile(zip_path) as archive:
        names = set(archive.namelist())
        if BINDING not in names:
            found.append(f"{BINDING} is missing: no cryptography wheel for the Lambda platform")
        else:
            header = archive.read(BINDING)[:20]
            machine = int.from_bytes(header[18:20], "little")
            if header[:4] != b"\x7fELF" or machine != ELF_X86_64:
                found.append(f"{BINDING} is not a Linux x86_64 binary (built for this machine?)")
        for name in ("app.py", "chalicelib/config.py", "chalicelib/pages/templates/login.html"):
            if name not in names:
                found.append(f"{name} is missing")
        requirements = _requirements(requirements_file.read_text().splitlines())
        found += [f"{name} is missing" for name in missing_dependencies(archive, requirements)]
    return found


def build(stage: str, out_dir: Path) -> Path:
    """Run `chalice package` for `stage` from a cleared cache; the zip's path."""
    shutil.rmtree(ROOT / ".chalice" / "deployments", ignore_errors=True)
    shutil.rmtree(out_dir, ignore_errors=True)
    chalice = Path(sys.executable).with_name("chalice")
    command = [str(chalice), "package", "--stage", stage, str(out_dir)]
    subprocess.run(command, cwd=ROOT, check=True)
    return out_dir / "deployment.zip"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.package")
    parser.add_argument("--stage", required=True)
    parser.add_argument("--out", type=Path, help="default: dist/STAGE")
    args = parser.parse_args(argv)
    zip_path = build(args.stage, args.out or ROOT / "dist" / args.stage)
    found = problems(zip_path)
    for problem in found:
        print(f"package: {problem}", file=sys.stderr)
    if found:
        return 1
    size = zip_path.stat().st_size
    print(
        f"{zip_path.relative_to(ROOT) if zip_path.is_relative_to(ROOT) else zip_path}: "
        f"{size / 1e6:.1f} MB ({size} bytes), checked"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
