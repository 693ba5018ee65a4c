"""The service's test command itself: it fails at once, saying what to install, when a tool
is missing."""

import os
import shutil
import subprocess
from pathlib import Path

from proof.helpers.project import ROOT


def _run_with_only(tmp_path: Path, *tools: str) -> subprocess.CompletedProcess[str]:
    """Run tests/run with a PATH that holds only the named tools."""
    for tool in ("dirname", "id", *tools):
        found = shutil.which(tool)
        assert found, f"{tool} not found on this host"
        (tmp_path / tool).symlink_to(found)
    env = {**os.environ, "PATH": str(tmp_path)}
    return subprocess.run(
        ["/bin/bash", str(ROOT / "tests" / "run")],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip


def test_says_to_install_docker_when_it_is_missing(tmp_path: Path) -> None:
    result = _run_with_only(tmp_path)
    assert result.returncode != 0
    assert "docker not found: install Docker" in result.stderr


def test_says_to_install_node_when_npm_is_missing(tmp_path: Path) -> None:
    result = _run_with_only(tmp_path, "docker")
    assert result.returncode != 0
    assert "npm not found: install Node.js" in result.stderr
