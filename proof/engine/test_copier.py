"""Copier, as README says: a copy made by its command has the team's names in place of the
template's, the service alone (what README's drop command removes is not there) and the
answers `copier update` reads, and passes its test command as it stands."""

import tomllib
from pathlib import Path

import yaml

from proof.helpers import team
from proof.helpers.engine import remove_images
from proof.helpers.project import (
    PACKAGE,
    dropped_paths,
)
from proof.helpers.shell import failed_phase, run_test_command

# The team's answers, the names its first week's changes use.
PROJECT, PACKAGE_NAME = team.PROJECT, team.PACKAGE


def test_answers_are_recorded(copied: Path) -> None:
    answers = yaml.safe_load((copied / ".copier-answers.yml").read_text())
    assert {"_commit", "_src_path"} <= answers.keys(), answers
    assert (answers["project_name"], answers["package_name"]) == (PROJECT, PACKAGE_NAME)


def test_copy_holds_the_service_alone(copied: Path) -> None:
    # But the workflow that takes releases, which only a copy from Copier can.
    there = [
        name
        for name in dropped_paths()
        if (copied / name).exists() and "copier update" not in (copied / name).read_text()
    ]
    assert there == [], "the copy holds what README's drop command removes"
    locked = {p["name"] for p in tomllib.loads((copied / "poetry.lock").read_text())["package"]}
    assert "copier" not in locked, "Copier, a tool of the host, is in the copy's lock"


def test_copy_has_the_teams_names(copied: Path) -> None:
    assert (copied / PACKAGE_NAME / "__init__.py").is_file()
    assert not (copied / PACKAGE).exists(), f"the template's package {PACKAGE}/ is in the copy"
    left = team.template_names_left(copied)
    assert left == [], "the copy still names the template's project or package"


def test_copy_passes_its_test_command(copied: Path) -> None:
    try:
        result = run_test_command(copied)
        assert result.returncode == 0, failed_phase(result)
    finally:
        remove_images("docker", f"vsc-{PROJECT}-")
