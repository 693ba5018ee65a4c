"""The dev container as the Dev Containers CLI opens it on Linux: the container user
takes the host user's UID, and `poetry add` works and leaves host-owned files."""

import os
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.image.containers import ROOT, docker

DEVCONTAINER = ROOT / "node_modules" / ".bin" / "devcontainer"
Exec = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def dev_container(project_copy: Path) -> Iterator[Exec]:
    """A dev container opened by the CLI on a copy of the project; `exec` runs in it."""
    if not DEVCONTAINER.exists():
        pytest.fail(f"{DEVCONTAINER} not found: run `npm ci` in {ROOT} (tests/run does)")
    label = f"minimal-py-poetry.remap-test={uuid.uuid4()}"

    def cli(command: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(DEVCONTAINER), command, "--workspace-folder", str(project_copy),
             "--id-label", label, *args],
            capture_output=True, text=True, timeout=900, check=False,
        )  # fmt: skip

    try:
        up = cli("up")
        assert up.returncode == 0, up.stdout[-2000:] + up.stderr[-4000:]
        yield lambda *args: cli("exec", *args)
    finally:
        ids = docker("ps", "--all", "--quiet", "--filter", f"label={label}").stdout.split()
        if ids:
            docker("rm", "--force", *ids)


def test_container_user_is_the_host_user(dev_container: Exec) -> None:
    assert dev_container("id", "-u").stdout.strip() == str(os.getuid())
    assert dev_container("id", "-un").stdout.strip() == "dev"


def test_poetry_add_leaves_host_owned_files(dev_container: Exec, project_copy: Path) -> None:
    added = dev_container("poetry", "add", "six")
    assert added.returncode == 0, added.stdout + added.stderr
    imported = dev_container("python", "-c", "import six")
    assert imported.returncode == 0, imported.stderr
    assert dev_container("touch", "made-in-container.txt").returncode == 0

    assert "six" in (project_copy / "pyproject.toml").read_text()
    assert 'name = "six"' in (project_copy / "poetry.lock").read_text()
    not_mine = [p for p in project_copy.rglob("*") if p.stat().st_uid != os.getuid()]
    assert not_mine == [], "files in the workspace that the host user does not own"
