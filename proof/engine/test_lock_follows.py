"""The venv follows the lock with no command by hand and no rebuild: a teammate's commit
that adds or removes a dependency reaches the developer's open dev container after a
`git pull`, a branch checkout or a merge in it, a reopen after a pull on the host, and
the compose dev server's next `up`. Unchanged, nothing runs, offline too; a lock that no
longer matches pyproject.toml says to run `poetry lock`."""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from proof.helpers.compose import Compose
from proof.helpers.containers import in_dev_image
from proof.helpers.copies import commit_all, git
from proof.helpers.devcontainer import DevContainer, dev_container
from proof.helpers.http import free_loopback_port, http_get
from proof.helpers.project import copy_project
from proof.helpers.waiting import wait_until

pytestmark = pytest.mark.floor
# Small pure-Python packages the template's lock holds not, and their import names.
ADDED = {"tomli-w": "tomli_w", "six": "six"}
# The shared repository, inside the developer's .git, where the container sees it too.
ORIGIN = ".git/team-origin.git"


@dataclass
class Team:
    # The developer's clone, its dev container open, and the teammate's clone.
    mine: Path
    container: DevContainer
    theirs: Path
    dev_image: str
    branch: str

    def imports(self, package: str) -> bool:
        code = f"import {ADDED[package]}"
        return self.container.exec("python", "-c", code).returncode == 0

    def in_container(self, *command: str) -> str:
        done = self.container.exec("git", "-c", "user.name=me", "-c", "user.email=m@m", *command)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        return done.stdout + done.stderr

    def teammate(self, *poetry: str, branch: str | None = None) -> None:
        """The teammate changes the lock with Poetry on the shared branch's latest (or on
        a branch of their own from it), commits and pushes."""
        target = branch or self.branch
        git(self.theirs, "fetch", "--quiet", "origin")
        git(self.theirs, "checkout", "--quiet", "-B", target, f"origin/{self.branch}")
        in_dev_image(self.dev_image, self.theirs, "poetry", *poetry, "--lock")
        commit_all(self.theirs, " ".join(poetry))
        git(self.theirs, "push", "--quiet", "origin", f"HEAD:{target}")


@pytest.fixture(scope="module")
def team(dev_image: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Team]:
    folder = tmp_path_factory.mktemp("team")
    folder.chmod(0o755)
    mine = copy_project(folder / "mine")
    git(mine, "init", "--quiet")
    commit_all(mine, "the service")
    branch = git(mine, "symbolic-ref", "--short", "HEAD").strip()
    git(mine, "init", "--quiet", "--bare", ORIGIN)
    git(mine, "remote", "add", "origin", ORIGIN)
    git(mine, "push", "--quiet", "--set-upstream", "origin", branch)
    theirs = folder / "theirs"
    git(folder, "clone", "--quiet", str(mine / ORIGIN), str(theirs))
    with dev_container(mine) as container:
        yield Team(mine, container, theirs, dev_image, branch)


def test_a_pull_in_the_open_container_adds_and_removes(team: Team) -> None:
    team.teammate("add", "tomli-w")
    pulled = team.in_container("pull", "--quiet")
    assert team.imports("tomli-w"), f"a dependency the pull added does not import:\n{pulled}"
    team.teammate("remove", "tomli-w")
    pulled = team.in_container("pull", "--quiet")
    assert not team.imports("tomli-w"), f"a dependency the pull removed imports:\n{pulled}"


def test_a_branch_checkout_and_a_merge_in_the_open_container(team: Team) -> None:
    team.teammate("add", "six", branch="with-six")
    team.in_container("fetch", "--quiet")
    team.in_container("checkout", "--quiet", "with-six")
    assert team.imports("six"), "the branch's dependency does not import"
    team.in_container("checkout", "--quiet", team.branch)
    assert not team.imports("six"), "the branch left its dependency behind"
    team.in_container("merge", "--quiet", "--no-edit", "origin/with-six")
    assert team.imports("six"), "the merged dependency does not import"
    team.in_container("push", "--quiet", "origin", f"HEAD:{team.branch}")


def test_a_reopen_after_a_pull_on_the_host(team: Team) -> None:
    team.teammate("add", "tomli-w")
    git(team.mine, "pull", "--quiet")
    team.container.engine_cli("stop", "--time", "1", team.container.id)
    reopened = team.container.up()
    assert reopened.returncode == 0, reopened.stdout[-2000:] + reopened.stderr[-3000:]
    assert team.imports("tomli-w"), "a reopen left out what the pull added"


def test_nothing_changed_nothing_runs_even_offline(team: Team) -> None:
    nowhere = "http://127.0.0.1:9"
    done = team.container.exec(
        "env", f"HTTP_PROXY={nowhere}", f"HTTPS_PROXY={nowhere}",
        f"POETRY_PYPI_MIRROR_URL={nowhere}/simple", ".devcontainer/sync-venv",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert "poetry sync" not in done.stderr, "it synced what had not changed"


def test_a_stale_lock_says_to_run_poetry_lock(team: Team) -> None:
    pyproject = team.mine / "pyproject.toml"
    kept = pyproject.read_text()
    pyproject.write_text(kept.replace("dependencies = [\n", 'dependencies = [\n    "six",\n', 1))
    try:
        done = team.container.exec(".devcontainer/sync-venv")
        assert done.returncode != 0, "a lock that no longer matched was synced"
        assert "poetry lock" in done.stdout + done.stderr, done.stdout + done.stderr
    finally:
        pyproject.write_text(kept)


def test_compose_serves_with_what_a_pull_removed_gone(team: Team) -> None:
    """The dev server's image, built before the pull, is reused by `up`."""
    compose = Compose(
        team.mine, free_loopback_port(), free_loopback_port(), f"mpp-{uuid.uuid4().hex[:8]}"
    )
    try:
        built = compose.run("build", "app")
        assert built.returncode == 0, built.stderr[-3000:]
        team.teammate("remove", "six")
        git(team.mine, "pull", "--quiet")
        up = compose.run("up", "--detach", "app")
        assert up.returncode == 0, up.stdout[-2000:] + up.stderr[-3000:]
        wait_until(
            lambda: _status(compose.app_port), lambda status: status == 200,
            "the dev server to answer /health",
        )  # fmt: skip
        imports = compose.run("exec", "app", "python", "-c", "import six")
        assert imports.returncode != 0, "what the pull removed still imports in the dev server"
        assert "No module named 'six'" in imports.stderr, imports.stderr
    finally:
        compose.run("down", "--volumes", "--rmi", "local", "--timeout", "1")


def _status(port: int) -> int:
    try:
        return http_get(f"http://127.0.0.1:{port}/health", timeout=2)[0]
    except OSError:
        return 0
