"""The packaged artifact and the Lambda containers that run it, for the deploy rehearsal."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from importlib.metadata import distribution
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
STAGE = "dev"
REGION = "eu-west-1"  # not the SDK's usual default: the region must come from the session
# What the Lambda python3.11 runtime provides beside the function's own code.
RUNTIME_DISTRIBUTIONS = (
    "boto3",
    "botocore",
    "s3transfer",
    "jmespath",
    "python-dateutil",
    "six",
    "urllib3",
)


def copy_runtime(root: Path) -> Path:
    """boto3 and its dependencies, copied from this virtualenv, and nothing else."""
    for name in RUNTIME_DISTRIBUTIONS:
        for file in distribution(name).files or []:
            if file.parts[0] == ".." or "__pycache__" in file.parts:
                continue
            target = root / file
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(file.locate(), target)
    return root


@dataclass
class Artifact:
    zip_path: Path
    task_root: Path
    sam: dict[str, Any]

    def function(self, handler_suffix: str) -> dict[str, Any]:
        """The SAM properties of the function whose handler ends with `handler_suffix`."""
        functions = [
            r["Properties"]
            for r in self.sam["Resources"].values()
            if r["Type"] == "AWS::Serverless::Function"
        ]
        return next(f for f in functions if f["Handler"].endswith(handler_suffix))


@dataclass
class Function:
    """One warm Lambda container of the packaged artifact."""

    process: subprocess.Popen[str]
    handler: str
    log_path: Path
    calls: list[dict[str, Any]] = field(default_factory=list)
    _log_read: int = 0

    def invoke(self, event: dict[str, Any]) -> Any:
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write(json.dumps({"handler": self.handler, "event": event}) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        assert line, f"the function died:\n{self.log_path.read_text()[-4000:]}"
        answer = json.loads(line)
        self.calls.extend(answer["calls"])
        assert answer["error"] is None, answer["error"] + "\n" + self.log_path.read_text()[-4000:]
        return answer["response"]

    def stop(self) -> None:
        assert self.process.stdin
        self.process.stdin.close()
        self.process.wait(timeout=10)

    def new_logs(self) -> str:
        """What the function printed since the last call to this."""
        text = self.log_path.read_text()
        fresh, self._log_read = text[self._log_read :], len(text)
        return fresh


def start_function(
    artifact: Artifact, runtime: Path, endpoint_url: str, handler_suffix: str, log_path: Path
) -> Function:
    """A container as Lambda starts one: the function's environment from sam.json, the
    runtime's variables, and only the emulator's address added."""
    spec = artifact.function(handler_suffix)
    name = spec.get("FunctionName") or f"gatehouse-{STAGE}"
    env = {
        **spec.get("Environment", {}).get("Variables", {}),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.11",
        "AWS_LAMBDA_FUNCTION_NAME": name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.get("MemorySize", 128)),
        "LAMBDA_TASK_ROOT": str(artifact.task_root),
        "AWS_ENDPOINT_URL": endpoint_url,
        "PATH": "/usr/bin:/bin",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-I",
            "-S",
            str(HERE / "lambda_host.py"),
            str(artifact.task_root),
            str(runtime),
        ],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=log_path.open("w"),
        text=True,
    )
    return Function(process, spec["Handler"], log_path)
