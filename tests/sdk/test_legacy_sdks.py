"""The older official SDKs, each in its own virtual environment made by scripts/test.sh, against a real server."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.server import SpruceServer

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("version", ["7.3.0", "8.1.2"])
def test_legacy_sdk_drives_control_and_data_plane(version: str, spruce: SpruceServer) -> None:
    python = ROOT / ".sdk-venvs" / f"pinecone-{version}" / "bin" / "python"
    assert python.exists(), f"{python} is missing: run ./scripts/test.sh, which creates it"
    result = subprocess.run([str(python), str(Path(__file__).with_name("legacy_client.py")), spruce.url],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}\n--- server log ---\n{spruce.log()}"
    assert "ALL OK" in result.stdout
