"""The template's releases as CHANGELOG.md names them, what this commit changed since the
previous one, and a clone of this repository with the releases tagged, which copies
name as their template and `copier update` takes releases from."""

import re
from pathlib import Path

from proof.helpers.copies import commit_all, copier, copy_command, git
from proof.helpers.project import ROOT
from proof.helpers.shell import run_in


def releases() -> list[tuple[str, str]]:
    """Each release CHANGELOG.md names, newest first: its version and its commit (this
    one's for the release in the making)."""
    changelog = (ROOT / "CHANGELOG.md").read_text()
    entries = re.findall(r"^## (\S+) \((?:commit (\w+)|unreleased)\)", changelog, re.M)
    return [(version, commit or "HEAD") for version, commit in entries]


def previous_release() -> str:
    """The commit of the newest release CHANGELOG.md names."""
    released = [commit for _, commit in releases() if commit != "HEAD"]
    assert released, "CHANGELOG.md names no released commit"
    return released[0]


def release_changes() -> list[str]:
    """The files this commit changed since the previous release."""
    return run_in(ROOT, f"git diff --name-only {previous_release()} HEAD", 60).stdout.split()


def dockerfile_change() -> tuple[list[str], list[str]]:
    """The lines of the Dockerfile that this commit removes and adds since the previous
    release."""
    diff = run_in(ROOT, f"git diff --unified=0 {previous_release()} HEAD -- Dockerfile", 60)
    lines = [line for line in diff.stdout.splitlines() if not line.startswith(("---", "+++"))]
    removed = [line[1:] for line in lines if line.startswith("-")]
    added = [line[1:] for line in lines if line.startswith("+")]
    assert removed and added, "the release changes no line of the Dockerfile: pick another file"
    return removed, added


def tagged_template(into: Path) -> Path:
    """A clone of this repository whose two newest releases are tagged `vX.Y.Z`, this
    commit as the newest."""
    (latest, _), (previous, commit) = releases()[:2]
    git(into.parent, "clone", "--quiet", str(ROOT), str(into))
    git(into, "tag", "--force", f"v{previous}", commit)
    git(into, "tag", "--force", f"v{latest}", "HEAD")
    return into


def copy_of_release(template: Path, folder: Path, project: str, version: str) -> Path:
    """README's `copier copy` of template's release `vVERSION` into folder, as a team's
    new repository, committed."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    command = copy_command(folder, project, f"v{version}")[:-2]
    copier(folder.parent, *command, str(template), str(folder))
    git(folder, "init", "--quiet")
    commit_all(folder, "copy")
    return folder
