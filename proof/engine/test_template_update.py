"""A copy's update workflow (.github/workflows/template-update.yml), its own steps run
as GitHub runs them, but for the checkout (a copy of the previous release, as the team's
repository) and the pull request's creation, which needs GitHub: on a clone of this
repository with its releases tagged, it leaves one branch named for this release with the
update committed, a conflict and all, which the copy's checks then refuse, and the notes
of this release for the pull request's body; run again on that branch, it does nothing."""

import os
import subprocess
from pathlib import Path
from typing import NamedTuple

import pytest
import yaml

from proof.helpers.containers import dev_image_run
from proof.helpers.copies import COPIER_MARKERS, git
from proof.helpers.project import ROOT
from proof.helpers.releases import copy_of_release, dockerfile_change, releases, tagged_template

WORKFLOW = ROOT / ".github" / "workflows" / "template-update.yml"
PROJECT = "acme-orders"
# The step that needs GitHub: the one that pushes and opens the pull request.
ON_GITHUB = "gh pr create"


def _steps() -> tuple[dict[str, str], list[dict]]:
    """The update job's environment and its steps that run commands."""
    (job,) = yaml.safe_load(WORKFLOW.read_text())["jobs"].values()
    steps = [step for step in job["steps"] if "run" in step]
    assert any(ON_GITHUB in step["run"] for step in steps), f"no step runs {ON_GITHUB}"
    return job.get("env", {}), steps


def run_workflow(copy: Path, runner_temp: Path) -> dict[str, str]:
    """The job's steps, but the pull request's, in copy; the outputs they set."""
    job_env, steps = _steps()
    files = {name: runner_temp / name for name in ("output", "path", "env")}
    for file in files.values():
        file.touch()
    path = os.environ["PATH"]
    for step in steps:
        check = subprocess.run(["bash", "-n"], input=step["run"], text=True, check=False)
        assert check.returncode == 0, f"{step.get('name')}: not a bash script"
        if ON_GITHUB in step["run"]:
            continue
        step_env = {**job_env, **step.get("env", {})}
        assert "${{" not in str(step_env), f"{step.get('name')}: run here with what value?"
        added = files["path"].read_text().split()
        env = {
            **os.environ, **step_env, "PATH": os.pathsep.join([*reversed(added), path]),
            "RUNNER_TEMP": str(runner_temp), "GITHUB_OUTPUT": str(files["output"]),
            "GITHUB_PATH": str(files["path"]), "GITHUB_ENV": str(files["env"]), "CI": "true",
        }  # fmt: skip
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
            cwd=copy, env=env, capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip
        assert done.returncode == 0, (
            f"{step.get('name')}:\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
        )
    lines = files["output"].read_text().splitlines()
    return dict(line.split("=", 1) for line in lines)


class Run(NamedTuple):
    copy: Path
    runner_temp: Path
    outputs: dict[str, str]
    # The commit the copy was at before.
    base: str


@pytest.fixture(scope="module")
def update(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """A copy of the previous release whose team changed a line the release changes too,
    and the workflow run in it."""
    tmp = tmp_path_factory.mktemp("template-update")
    (_, _), (previous, _) = releases()[:2]
    template = tagged_template(tmp / "template")
    copy = copy_of_release(template, tmp / "copy" / PROJECT, PROJECT, previous)
    removed = dockerfile_change()[0][0]
    dockerfile = copy / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text().replace(removed, f"{removed} # the team's"))
    git(copy, "commit", "--quiet", "--all", "--message", "the team's change")
    base = git(copy, "rev-parse", "HEAD").strip()
    runner_temp = tmp / "runner"
    runner_temp.mkdir()
    return Run(copy, runner_temp, run_workflow(copy, runner_temp), base)


def test_a_branch_holds_the_update_committed(update: Run) -> None:
    copy, outputs = update.copy, update.outputs
    latest = releases()[0][0]
    assert outputs.get("version") == latest, outputs
    assert git(copy, "branch", "--show-current").strip() == outputs["branch"]
    assert latest in outputs["branch"], outputs
    assert git(copy, "status", "--porcelain") == "", "the update left files uncommitted"
    assert git(copy, "rev-list", "--count", f"{update.base}..HEAD").strip() == "1"
    answers = yaml.safe_load((copy / ".copier-answers.yml").read_text())
    assert answers["_commit"] == f"v{latest}", answers
    added = dockerfile_change()[1]
    lines = (copy / "Dockerfile").read_text().splitlines()
    assert set(COPIER_MARKERS) <= set(lines) and added[0] in lines, "\n".join(lines[:40])


def test_the_notes_are_this_releases(update: Run) -> None:
    runner_temp = update.runner_temp
    (latest, _), (previous, _) = releases()[:2]
    notes = (runner_temp / "release-notes.md").read_text()
    changelog = (ROOT / "CHANGELOG.md").read_text()
    entry = changelog[changelog.index(f"## {latest} ") : changelog.index(f"## {previous} ")]
    assert entry.strip() in notes and f"## {previous} " not in notes, notes


def test_the_copys_checks_refuse_the_committed_conflict(update: Run, dev_image: str) -> None:
    copy = update.copy
    hook = ["pre-commit", "run", "merge-conflicts", "--all-files"]
    found = dev_image_run(dev_image, copy, *hook, check=False)
    assert found.returncode != 0, found.stdout
    assert "Dockerfile" in found.stdout, found.stdout


def test_with_no_newer_release_it_does_nothing(update: Run) -> None:
    copy, runner_temp = update.copy, update.runner_temp
    head = git(copy, "rev-parse", "HEAD")
    (runner_temp / "output").unlink()
    assert run_workflow(copy, runner_temp) == {}
    assert git(copy, "rev-parse", "HEAD") == head
