"""`make package` refuses an artifact Lambda could not run (built zips, checked offline)."""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

from infra.package import BINDING, problems

APP_FILES = ("app.py", "chalicelib/config.py", "chalicelib/pages/templates/login.html")


def elf(machine: int) -> bytes:
    return b"\x7fELF" + b"\x02\x01\x01" + b"\x00" * 11 + struct.pack("<H", machine)


def metadata(name: str, version: str, *requires: str) -> str:
    lines = [f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}"]
    lines += [f"Requires-Dist: {r}" for r in requires]
    return "\n".join(lines) + "\n"


def build_zip(tmp_path: Path, *, binding: bytes | None, dists: dict[str, str]) -> Path:
    path = tmp_path / "deployment.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for name in APP_FILES:
            archive.writestr(name, "")
        if binding is not None:
            archive.writestr(BINDING, binding)
        for dist_info, text in dists.items():
            archive.writestr(f"{dist_info}/METADATA", text)
    return path


def requirements(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "requirements.txt"
    path.write_text("# runtime\n" + "\n".join(lines) + "\n")
    return path


COMPLETE = {
    "jinja2-3.1.6.dist-info": metadata(
        "Jinja2", "3.1.6", "MarkupSafe>=2.0", 'Babel>=2.7; extra == "i18n"'
    ),
    "markupsafe-3.0.4.dist-info": metadata("MarkupSafe", "3.0.4"),
    "cryptography-50.0.2.dist-info": metadata(
        "cryptography", "50.0.2", "cffi>=2.0; platform_python_implementation != 'PyPy'"
    ),
    "cffi-2.1.1.dist-info": metadata("cffi", "2.1.1", "pycparser; implementation_name != 'PyPy'"),
    "pycparser-3.12.dist-info": metadata("pycparser", "3.12"),
}


def test_a_complete_linux_artifact_passes(tmp_path: Path) -> None:
    zip_path = build_zip(tmp_path, binding=elf(62), dists=COMPLETE)
    assert problems(zip_path, requirements(tmp_path, "jinja2>=3.1", "cryptography>=44")) == []


def test_a_zip_without_cryptographys_binding_is_refused(tmp_path: Path) -> None:
    zip_path = build_zip(tmp_path, binding=None, dists=COMPLETE)
    found = problems(zip_path, requirements(tmp_path, "cryptography>=44"))
    assert found == [f"{BINDING} is missing: no cryptography wheel for the Lambda platform"]


def test_a_binding_built_for_another_machine_is_refused(tmp_path: Path) -> None:
    for binary in (elf(183), b"\xcf\xfa\xed\xfe" + b"\x00" * 16):  # aarch64 ELF, macOS Mach-O
        zip_path = build_zip(tmp_path, binding=binary, dists=COMPLETE)
        found = problems(zip_path, requirements(tmp_path, "cryptography>=44"))
        assert found == [f"{BINDING} is not a Linux x86_64 binary (built for this machine?)"]


def test_a_missing_transitive_dependency_is_named(tmp_path: Path) -> None:
    dists = {k: v for k, v in COMPLETE.items() if not k.startswith(("markupsafe", "pycparser"))}
    zip_path = build_zip(tmp_path, binding=elf(62), dists=dists)
    found = problems(zip_path, requirements(tmp_path, "jinja2>=3.1", "cryptography>=44"))
    assert found == ["MarkupSafe is missing", "pycparser is missing"]


def test_a_missing_app_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "deployment.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(BINDING, elf(62))
    assert "app.py is missing" in problems(path, requirements(tmp_path))
