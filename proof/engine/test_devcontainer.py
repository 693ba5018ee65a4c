"""The dev container as the Dev Containers CLI opens it. On Linux the container user
takes the host user's UID; `poetry add` then works and leaves host-owned files."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from proof.helpers.devcontainer import DevContainer, dev_container


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
