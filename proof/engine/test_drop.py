"""A copy made with "Use this template", without the proof: README's commands rename it
and drop the proof, nothing left, README included, names what went, and the copy's own
test command, workflow and prod image hold on their own."""

import re
from pathlib import Path

import pytest
import yaml

from proof.helpers.containers import running, wait_until_serving
from proof.helpers.engine import TEST_IMAGE, built, remove_images
from proof.helpers.project import (
    copy_project,
    drop_command,
    dropped_paths,
    rename_command,
    text_files,
)
from proof.helpers.shell import failed_phase, run_in, run_test_command


@pytest.fixture(scope="module")
def dropped(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the project after README's commands to rename it and drop the proof, as
    a team's repository: the linters see what git tracks."""
    folder = copy_project(tmp_path_factory.mktemp("dropped"))
    folder.chmod(0o755)
    for command in (rename_command(), drop_command(), "git init --quiet && git add --all"):
        result = run_in(folder, command, timeout=60)
        assert result.returncode == 0, result.stderr
    return folder


def test_nothing_left_names_what_went(dropped: Path) -> None:
    names = {Path(name).name for name in dropped_paths()}
    named = re.compile("|".join(rf"(?<![\w.-]){re.escape(name)}\b" for name in names))
    left = [
        f"{path.relative_to(dropped)}: {found.group(0)}"
        for path, text in text_files(dropped).items()
        for found in [named.search(text)]
        if found
    ]
    assert left == [], "files that name what the drop removed"


def test_workflow_runs_only_what_the_copy_has(dropped: Path) -> None:
    missing = []
    for workflow in (dropped / ".github" / "workflows").glob("*.y*ml"):
        for job in yaml.safe_load(workflow.read_text())["jobs"].values():
            for step in job["steps"]:
                for line in step.get("run", "").splitlines():
                    program = line.split()[0] if line.split() else ""
                    if "/" in program and not program.startswith(("$", "/", "~")):
                        missing += [] if (dropped / program).exists() else [program]
    assert missing == [], "the workflow runs files the copy no longer has"


def test_copy_passes_its_test_command_and_serves(dropped: Path) -> None:
    try:
        result = run_test_command(dropped)
        assert result.returncode == 0, failed_phase(result)
        phases = re.findall(r"^=== (.+): \d+ s$", result.stdout, re.MULTILINE)
        assert len(phases) >= 5, f"the test command printed no phase times:\n{result.stdout}"
        image = built(f"{TEST_IMAGE}:dropped-prod", "--target", "prod", context=dropped)
        with running(image) as server:
            wait_until_serving(server)
    finally:
        remove_images("docker", f"vsc-{dropped.name.lower()}-")
