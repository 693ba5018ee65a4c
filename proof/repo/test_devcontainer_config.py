"""devcontainer.json as the Dev Containers CLI reads it: the dev stage, a non-root user,
VS Code's interpreter, test, lint and type check settings, the forwarded ports, and the
venv following the lock at each start."""

import json
import subprocess

from proof.helpers.devcontainer import devcontainer_cli
from proof.helpers.project import ROOT, dockerfile_value


def _read_configuration() -> dict:
    result = subprocess.run(
        [devcontainer_cli(), "read-configuration", "--workspace-folder", str(ROOT)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout)


def test_configuration_builds_dev_and_sets_up_vscode() -> None:
    found = _read_configuration()
    config, workspace = found["configuration"], found["workspace"]
    assert config["build"]["target"] == "dev"
    assert config["remoteUser"] not in ("root", "")
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


def test_vscode_shows_the_type_check_of_the_hook() -> None:
    """VS Code's mypy extension runs the venv's mypy, pinned in the lock, with
    pyproject.toml's settings: the errors the commit hook and the test command report."""
    vscode = _read_configuration()["configuration"]["customizations"]["vscode"]
    assert "ms-python.mypy-type-checker" in vscode["extensions"]
    assert vscode["settings"]["mypy-type-checker.importStrategy"] == "fromEnvironment"
    assert not any(key.startswith("mypy-type-checker.args") for key in vscode["settings"])


def test_every_start_brings_the_venv_to_the_lock() -> None:
    """The command each start runs is the one the git hooks and compose run."""
    config = _read_configuration()["configuration"]
    command = config["postStartCommand"]
    assert (ROOT / command).is_file(), command
    for hook in ("post-merge", "post-checkout", "post-rewrite"):
        assert command in (ROOT / ".githooks" / hook).read_text(), hook
