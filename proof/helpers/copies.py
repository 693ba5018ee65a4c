"""Copies of the template as a team makes them: README's `copier copy` command, run with
the proof's pinned Copier from a commit of this repository, into a new git repository."""

import shlex
import subprocess
from pathlib import Path

from proof.helpers.engine import DOCKER_ENV
from proof.helpers.project import ROOT, host_tool, readme_command
from proof.helpers.shell import run_in


def copy_command(into: Path, project: str, release: str = "HEAD", **answers: str) -> list[str]:
    """README's `copier copy` command with the project's name and other answers given."""
    words = shlex.split(readme_command("copy", r"uvx copier copy ").string)[1:]
    template, destination = words[-2:]
    assert template.startswith("$") and not destination.startswith("-"), words
    data = [
        word
        for key, value in {"project_name": project, **answers}.items()
        for word in ("--data", f"{key}={value}")
    ]
    return [
        host_tool("copier"), *words[1:-2], "--defaults", "--vcs-ref", release, *data,
        str(ROOT), str(into),
    ]  # fmt: skip


def copier(folder: Path, *command: str) -> None:
    done = subprocess.run(
        command, cwd=folder, env=DOCKER_ENV, capture_output=True, text=True, timeout=300,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def git(folder: Path, *args: str) -> str:
    done = run_in(
        folder, shlex.join(["git", "-c", "user.name=team", "-c", "user.email=t@t", *args]), 60
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def commit_all(folder: Path, message: str) -> None:
    git(folder, "add", "--all")
    git(folder, "commit", "--quiet", "--message", message)


def copier_copy(parent: Path, project: str, release: str = "HEAD", **answers: str) -> Path:
    """A copy that Copier made in parent, as a team's new repository, committed."""
    parent.chmod(0o755)
    folder = parent / project
    copier(parent, *copy_command(folder, project, release, **answers))
    folder.chmod(0o755)
    git(folder, "init", "--quiet")
    commit_all(folder, "copy")
    return folder


# The lines around a conflict that `copier update` leaves (git merge-file's, with Copier's
# labels), yours above and the release's below a line of "=======".
COPIER_MARKERS = ("<<<<<<< before updating", ">>>>>>> after updating")
