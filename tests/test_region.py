"""The region is boto3's own choice everywhere: environment first, then the AWS profile."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROBE = """
from chalicelib.admin import apply_stage_env
apply_stage_env("dev")
from chalicelib.models import ClientModel
from chalicelib.signing import kms
dynamodb = ClientModel._get_connection().connection.client
print(kms.client().meta.region_name, dynamodb.meta.region_name)
"""


def regions_seen(tmp_path: Path, **env: str) -> list[str]:
    config = tmp_path / "config"
    config.write_text("[profile ops]\nregion = eu-central-1\n")
    clean = {k: v for k, v in os.environ.items() if k not in ("AWS_DEFAULT_REGION", "AWS_REGION")}
    clean.update(AWS_CONFIG_FILE=str(config), AWS_PROFILE="ops", ISSUER="https://x.test", **env)
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=clean, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_admin_cli_takes_the_region_from_the_aws_profile(tmp_path: Path) -> None:
    assert regions_seen(tmp_path) == ["eu-central-1", "eu-central-1"]


def test_the_environment_region_wins_over_the_profile(tmp_path: Path) -> None:
    assert regions_seen(tmp_path, AWS_DEFAULT_REGION="ap-southeast-2") == [
        "ap-southeast-2",
        "ap-southeast-2",
    ]
