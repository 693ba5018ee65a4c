"""A copy made with Copier, by README's command: the team's names in place of the
template's, the service alone (what README's drop command removes is not there), the
answers recorded for `copier update`; its test command passes as it stands."""

import shlex
import subprocess
from pathlib import Path

import pytest
import yaml

from proof.helpers.engine import DOCKER_ENV, remove_images
from proof.helpers.project import PACKAGE, PYPROJECT, ROOT, host_tool, readme_command
from proof.image.test_drop import _dropped, _run, _text_files
from proof.image.test_first_week import _references

PROJECT, PACKAGE_NAME = "acme-web", "acme_web"


def _copy_command(into: Path) -> list[str]:
    """README's `copier copy` command, run with the proof's pinned Copier, from this
    repository's commit, into a folder, with the team's answers given."""
    words = shlex.split(readme_command(r"uvx copier copy ").string)[1:]
    template, destination = words[-2:]
    assert template.startswith("$") and not destination.startswith("-"), words
    return [
        host_tool("copier"), *words[1:-2], "--defaults", "--vcs-ref", "HEAD",
        "--data", f"project_name={PROJECT}", str(ROOT), str(into),
    ]  # fmt: skip


@pytest.fixture(scope="module")
def copied(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy that Copier made, as a team's new repository."""
    parent = tmp_path_factory.mktemp("copier")
    parent.chmod(0o755)
    folder = parent / PROJECT
    made = subprocess.run(
        _copy_command(folder), env=DOCKER_ENV, capture_output=True, text=True, timeout=300,
        check=False,
    )  # fmt: skip
    assert made.returncode == 0, made.stdout[-3000:] + made.stderr[-3000:]
    folder.chmod(0o755)
    tracked = _run(folder, "git init --quiet && git add --all", timeout=60)
    assert tracked.returncode == 0, tracked.stderr
    return folder


def test_answers_are_recorded(copied: Path) -> None:
    answers = yaml.safe_load((copied / ".copier-answers.yml").read_text())
    assert {"_commit", "_src_path"} <= answers.keys(), answers
    assert (answers["project_name"], answers["package_name"]) == (PROJECT, PACKAGE_NAME)


def test_copy_holds_the_service_alone(copied: Path) -> None:
    there = [name for name in _dropped() if (copied / name).exists()]
    assert there == [], "the copy holds what README's drop command removes"


def test_copy_has_the_teams_names(copied: Path) -> None:
    assert (copied / PACKAGE_NAME / "__init__.py").is_file()
    assert not (copied / PACKAGE).exists(), f"the template's package {PACKAGE}/ is in the copy"
    template_name = PYPROJECT["project"]["name"]
    left = [
        f"{path.relative_to(copied)}: {found}"
        for path, text in _text_files(copied).items()
        for found in [template_name] * (template_name in text) + _references(text, PACKAGE)
    ]
    assert left == [], "the copy still names the template's project or package"


def test_copy_passes_its_test_command(copied: Path) -> None:
    command = readme_command(r"tests/run\b").string
    try:
        result = _run(copied, command, timeout=1500)
        assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    finally:
        remove_images("docker", f"vsc-{PROJECT}-")
