"""The repository as a team checks it out and commits to it: a Windows checkout
(core.autocrlf=true) gets the files as committed, byte for byte, so it opens and builds
as the test command's checkout does; the commit hook README sets up runs the linters in
the dev container, applies their fixes and stops on what they leave, and, from a host
terminal without them, stops the commit saying where to commit. Test code may hold
made-up passwords; the package may not."""

import os
import re
import shutil
import subprocess
from pathlib import Path

from proof.helpers.engine import docker
from proof.helpers.project import PACKAGE, ROOT, copy_project, readme_command
from proof.helpers.users import HOST_USER

GIT_USER = ["-c", "user.name=Test", "-c", "user.email=test@example.com"]


def _git(folder: Path, *args: str, env: dict[str, str] | None = None):
    return subprocess.run(
        ["git", *args], cwd=folder, env=env, capture_output=True, text=True, timeout=120,
        check=False,
    )  # fmt: skip


def test_windows_checkout_gets_the_files_as_committed(tmp_path: Path) -> None:
    clone = tmp_path / "windows"
    cloned = _git(tmp_path, "-c", "core.autocrlf=true", "clone", "--quiet", str(ROOT), str(clone))
    assert cloned.returncode == 0, cloned.stderr
    files = _git(clone, "ls-files").stdout.split()
    changed = [
        name for name in files
        if (clone / name).read_bytes() != _git_bytes(name)
    ]  # fmt: skip
    assert changed == [], "files whose line endings the checkout changed"


def _git_bytes(name: str) -> bytes:
    return subprocess.run(
        ["git", "show", f"HEAD:{name}"], cwd=ROOT, capture_output=True, check=True
    ).stdout


def _hook_setup() -> list[str]:
    """The command README gives for the commit hook."""
    return readme_command("hooks", r"git config core\.hooksPath ").string.split()[1:]


def _repository_with_hook(folder: Path) -> Path:
    copy_project(folder)
    folder.chmod(0o755)
    for args in (["init", "--quiet"], _hook_setup(), ["add", "--all"]):
        assert _git(folder, *args).returncode == 0
    return folder


def test_commit_from_a_host_without_the_tools_says_to_commit_in_the_container(
    tmp_path: Path,
) -> None:
    repo = _repository_with_hook(tmp_path / "repo")
    only = tmp_path / "bin"
    only.mkdir()
    for tool in ("git", "bash"):
        (only / tool).symlink_to(shutil.which(tool))
    env = {**os.environ, "PATH": str(only)}
    result = _git(repo, *GIT_USER, "commit", "--quiet", "-m", "from the host", env=env)
    assert result.returncode != 0, "committed without the checks"
    assert "commit from its terminal" in result.stderr
    assert "No such file" not in result.stderr
    assert _git(repo, "rev-parse", "--verify", "HEAD").returncode != 0


def _git_in_dev_container(
    dev_image: str, repo: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    return docker(
        "run", "--rm", "--user", HOST_USER, "--env", "HOME=/tmp",
        "--volume", f"{repo}:/workspace", "--workdir", "/workspace", dev_image,
        "git", *args,
        check=False,
    )  # fmt: skip


COMMIT = [*GIT_USER, "commit", "--quiet", "-m", "in the container"]


def test_commit_in_the_dev_container_runs_the_checks(dev_image: str, tmp_path: Path) -> None:
    repo = _repository_with_hook(tmp_path / "repo")
    (repo / "notes.txt").write_text("trailing blanks   \n")
    _git(repo, "add", "notes.txt")

    first = _git_in_dev_container(dev_image, repo, *COMMIT)
    assert first.returncode != 0, "the trailing blanks got through"
    assert "trailing whitespace" in first.stdout + first.stderr
    assert (repo / "notes.txt").read_text() == "trailing blanks\n", "the hook fixed nothing"
    assert _git_in_dev_container(dev_image, repo, "add", "notes.txt").returncode == 0
    second = _git_in_dev_container(dev_image, repo, *COMMIT)
    assert second.returncode == 0, second.stdout[-4000:] + second.stderr[-2000:]


def _commit_a_feature_and_a_comment(dev_image: str, repo: Path) -> subprocess.CompletedProcess[str]:
    """devcontainer.json as the spec allows it: a Feature (GitHub CLI) and a comment."""
    config = repo / ".devcontainer" / "devcontainer.json"
    config.write_text(
        config.read_text().replace(
            "{\n",
            "{\n  // The GitHub CLI, as a Dev Container Feature.\n"
            '  "features": { "ghcr.io/devcontainers/features/github-cli:1": {} },\n',
            1,
        )
    )
    _git(repo, "add", "--all")
    return _git_in_dev_container(dev_image, repo, *COMMIT)


def test_checks_take_a_dev_container_feature_and_comments(dev_image: str, tmp_path: Path) -> None:
    repo = _repository_with_hook(tmp_path / "repo")
    commit = _commit_a_feature_and_a_comment(dev_image, repo)
    assert commit.returncode == 0, commit.stdout[-4000:] + commit.stderr[-2000:]


def test_a_json_check_of_devcontainer_json_would_stop_that_commit(
    dev_image: str, tmp_path: Path
) -> None:
    """The commit above, shown to reach a check: with the hooks' JSON check on every
    JSON file, the comment stops it."""
    repo = _repository_with_hook(tmp_path / "repo")
    hooks = repo / ".pre-commit-config.yaml"
    every_file = re.sub(r"^ *exclude: .*devcontainer.*\n", "", hooks.read_text(), flags=re.M)
    assert every_file != hooks.read_text(), "no hook leaves devcontainer.json out"
    hooks.write_text(every_file)
    commit = _commit_a_feature_and_a_comment(dev_image, repo)
    assert commit.returncode != 0, "a JSON check passed a comment"
    assert "JSON syntax" in commit.stdout + commit.stderr


# Made-up passwords, as test suites log in with them: a literal (S105), an argument
# (S106) and a default (S107).
PASSWORDS = """PASSWORD = "made-up"


def log_in(client: object, password: str = "default") -> object:
    return client, password


def test_log_in() -> None:
    assert log_in(None, password="test")
"""


def test_tests_may_hold_made_up_passwords_the_package_may_not(
    dev_image: str, project_copy: Path
) -> None:
    (project_copy / "tests" / "test_log_in.py").write_text(PASSWORDS)
    (project_copy / PACKAGE / "log_in.py").write_text(PASSWORDS)
    lint = docker(
        "run", "--rm", "--user", HOST_USER, "--volume", f"{project_copy}:/workspace:ro",
        "--workdir", "/workspace", dev_image,
        "ruff", "check", "--no-cache", "--output-format", "concise", ".",
        check=False,
    )  # fmt: skip
    found = set(re.findall(r"^(\S+):\d+:\d+: (S10[567])", lint.stdout, re.M))
    package = f"{PACKAGE}/log_in.py"
    assert found == {(package, "S105"), (package, "S106"), (package, "S107")}, lint.stdout


def test_the_hook_applies_the_fixers_and_stops_on_what_they_leave(
    dev_image: str, tmp_path: Path
) -> None:
    repo = _repository_with_hook(tmp_path / "repo")
    module = repo / PACKAGE / "settings.py"
    module.write_text('import sys\nimport os\nTOKEN = "made-up"\nNAMES=[os.name,sys.platform]\n')
    _git(repo, "add", "--all")
    first = _git_in_dev_container(dev_image, repo, *COMMIT)
    assert first.returncode != 0, "a literal password in the package got through"
    output = first.stdout + first.stderr
    where = re.search(rf"S105\b.*\n.*{PACKAGE}/settings\.py:\d+:\d+", output)
    assert where, f"the hook's output names no S105 in the module:\n{output[-3000:]}"
    fixed = module.read_text()
    assert (
        fixed.startswith("import os\nimport sys\n") and "NAMES = [os.name, sys.platform]" in fixed
    )
    module.write_text(fixed.replace('TOKEN = "made-up"\n', ""))
    assert _git_in_dev_container(dev_image, repo, "add", "--all").returncode == 0
    second = _git_in_dev_container(dev_image, repo, *COMMIT)
    assert second.returncode == 0, second.stdout[-4000:] + second.stderr[-2000:]
