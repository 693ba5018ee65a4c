"""The dev container as the Dev Containers CLI reads and opens it. On Linux the container
user takes the host user's UID; `poetry add` then works and leaves host-owned files."""

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.image.containers import (
    DEVCONTAINER,
    ROOT,
    DevContainer,
    dev_container,
    dockerfile_value,
)


def _read_configuration() -> dict:
    if not DEVCONTAINER.exists():
        pytest.fail(f"{DEVCONTAINER} not found: run `npm ci` in {ROOT} (tests/run does)")
    result = subprocess.run(
        [str(DEVCONTAINER), "read-configuration", "--workspace-folder", str(ROOT)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout)


def test_configuration_builds_dev_and_sets_up_vscode() -> None:
    found = _read_configuration()
    config, workspace = found["configuration"], found["workspace"]
    assert config["build"]["target"] == "dev"
    assert config["remoteUser"] not in ("root", "")
    assert "features" not in config, "Dev Container Features need a registry"
    venv = dockerfile_value("VIRTUAL_ENV")
    assert not workspace["workspaceFolder"].startswith(venv)
    vscode = config["customizations"]["vscode"]
    assert vscode["settings"]["python.defaultInterpreterPath"] == f"{venv}/bin/python"
    assert vscode["settings"]["python.testing.pytestEnabled"] is True
    assert {"ms-python.python", "ms-python.debugpy", "charliermarsh.ruff"} <= set(
        vscode["extensions"]
    )
    # The app's port and debugpy's; a team may forward more.
    assert {8000, 5678} <= set(config["forwardPorts"])
    assert all(config["portsAttributes"][str(port)]["label"] for port in (8000, 5678))


@pytest.fixture
def opened(project_copy: Path) -> Iterator[DevContainer]:
    """A dev container opened by the CLI on a copy of the project, for a host user with
    no package index logins."""
    with dev_container(project_copy) as container:
        yield container


def test_container_user_is_the_host_user(opened: DevContainer) -> None:
    assert opened.exec("id", "-u").stdout.strip() == str(os.getuid())
    assert opened.exec("id", "-un").stdout.strip() == "dev"


def test_poetry_add_leaves_host_owned_files(opened: DevContainer, project_copy: Path) -> None:
    added = opened.exec("poetry", "add", "six")
    assert added.returncode == 0, added.stdout + added.stderr
    imported = opened.exec("python", "-c", "import six")
    assert imported.returncode == 0, imported.stderr
    assert opened.exec("touch", "made-in-container.txt").returncode == 0

    assert "six" in (project_copy / "pyproject.toml").read_text()
    assert 'name = "six"' in (project_copy / "poetry.lock").read_text()
    not_mine = [p for p in project_copy.rglob("*") if p.stat().st_uid != os.getuid()]
    assert not_mine == [], "files in the workspace that the host user does not own"
