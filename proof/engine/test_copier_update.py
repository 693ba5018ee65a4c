"""`copier update`, as README says: a copy of the previous release (CHANGELOG.md), changed
as a team changes it, takes this commit, its changes kept (a README section appended, a
route edited) and no file left conflicted that only one side changed, and passes its test
command again; where the team and the release changed the same line, the update leaves
both between Copier's markers, in that file alone; `copier check-update` names the newer
release."""

import filecmp
import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from proof.helpers import team
from proof.helpers.containers import in_dev_image
from proof.helpers.copies import (
    COPIER_MARKERS,
    commit_all,
    copier,
    copier_copy,
    git,
)
from proof.helpers.engine import remove_images
from proof.helpers.project import (
    PACKAGE,
    add_readme_service,
    blueprint_of,
    host_tool,
)
from proof.helpers.releases import (
    copy_of_release,
    dockerfile_change,
    previous_release,
    release_changes,
    releases,
    tagged_template,
)
from proof.helpers.shell import failed_phase, run_in, run_test_command

# The team's answers, the names its first week's changes use.
PROJECT, PACKAGE_NAME = team.PROJECT, team.PACKAGE


def _update(folder: Path) -> None:
    commit_all(folder, "the team's changes")
    copier(folder, host_tool("copier"), "update", "--trust", "--defaults", "--vcs-ref", "HEAD")


DEV_APT_LINE = re.compile(r"^(apt-get .*install .*)\bgit\b", re.M)
TEAM_ROUTE = """

@{bp}.get("/team")
def team() -> dict[str, str]:
    return {{"team": "acme"}}
"""
TEAM_TEST = f"""from {PACKAGE_NAME} import create_app


def test_team() -> None:
    assert create_app({{"TESTING": True}}).test_client().get("/team").json == {{"team": "acme"}}
"""


TEAM_README = "\n## On call\n\nThe team that answers for this service: acme.\n"
TEAM_EDIT = "    # The team's own words on this route.\n"


def _team_changes(folder: Path, dev_image: str) -> None:
    """A route edited, a route and its test added, a README section, a console script, a
    supplemental source, README's service in compose, jq in the dev stage; a runtime and a
    dev dependency."""
    views = folder / PACKAGE_NAME / "views.py"
    route = re.compile(r"^(@\w+\.\w+\(.*\)\ndef .*\n)", re.M)
    source, count = route.subn(rf"\1{TEAM_EDIT}", views.read_text(), count=1)
    assert count, f"no route in {views}"
    views.write_text(source + TEAM_ROUTE.format(bp=blueprint_of(views)))
    with (folder / "README.md").open("a") as readme:
        readme.write(TEAM_README)
    (folder / "tests" / "test_team.py").write_text(TEAM_TEST)
    team.declare_script_and_source(folder)
    add_readme_service(folder)
    dockerfile = folder / "Dockerfile"
    assert DEV_APT_LINE.search(dockerfile.read_text()), "no apt line with git in the Dockerfile"
    dockerfile.write_text(DEV_APT_LINE.sub(r"\1git jq", dockerfile.read_text(), count=1))
    in_dev_image(
        dev_image, folder, "sh", "-c",
        "poetry lock && poetry add --lock six && poetry add --lock --group dev tomli-w",
    )  # fmt: skip


@pytest.fixture(scope="module")
def updated(tmp_path_factory: pytest.TempPathFactory, dev_image: str) -> Path:
    """A copy of the previous release with a team's changes, updated to this commit."""
    folder = copier_copy(tmp_path_factory.mktemp("update"), PROJECT, previous_release())
    _team_changes(folder, dev_image)
    _update(folder)
    _lock_as_readme_says(folder, dev_image)
    return folder


def test_update_takes_the_release_and_keeps_the_teams_changes(updated: Path, copied: Path) -> None:
    answers = yaml.safe_load((updated / ".copier-answers.yml").read_text())
    # The update is not committed yet: the copy's last commit holds the answers before it.
    before = yaml.safe_load(git(updated, "show", "HEAD:.copier-answers.yml"))
    assert answers["_commit"] != before["_commit"], (before, answers)
    unmerged = git(updated, "diff", "--name-only", "--diff-filter=U").split()
    # Both changed what the lock locks: its metadata, which README's `poetry lock` remakes.
    both = ["poetry.lock"] if "poetry.lock" in release_changes() else []
    assert unmerged in ([], both), "the update left conflicts where only one side changed"
    pyproject = (updated / "pyproject.toml").read_text()
    kept = {
        "route": "def team()" in (updated / PACKAGE_NAME / "views.py").read_text(),
        "edit": TEAM_EDIT in (updated / PACKAGE_NAME / "views.py").read_text(),
        "README": (updated / "README.md").read_text().endswith(TEAM_README),
        "test": (updated / "tests" / "test_team.py").is_file(),
        "dependencies": "six" in pyproject and "tomli-w" in pyproject,
        "script": f'{team.SCRIPT} = "{PACKAGE_NAME}.cli:main"' in pyproject,
        "source": "[[tool.poetry.source]]" in pyproject,
        "service": "db" in yaml.safe_load((updated / "compose.yaml").read_text())["services"],
        "dev stage": "git jq" in (updated / "Dockerfile").read_text(),
    }
    assert all(kept.values()), f"changes the update lost: {[k for k, v in kept.items() if not v]}"
    assert not (updated / PACKAGE).exists(), f"the release's {PACKAGE}/ is back beside the team's"
    changed_by_team = set(git(updated, "diff", "--name-only", "HEAD~1", "HEAD").split())
    # As a new copy of this commit with the same answers has them: Copier's own output.
    release = [name for name in _copied_paths(release_changes()) if (copied / name).is_file()]
    differ = [
        name
        for name in release
        if name not in changed_by_team
        and not ((updated / name).is_file() and filecmp.cmp(updated / name, copied / name, False))
    ]
    assert differ == [], "files only the release changed are not as the release has them"
    added = dockerfile_change()[1]
    assert added[0] in (updated / "Dockerfile").read_text().splitlines(), "the release's line"


def test_updated_copy_passes_its_test_command(updated: Path) -> None:
    try:
        result = run_test_command(updated)
        assert result.returncode == 0, failed_phase(result)
    finally:
        # The database that opening the dev container started, with its volume.
        run_in(updated, "docker compose down --volumes --timeout 1", 120)
        remove_images("docker", f"vsc-{PROJECT}-")


def _lock_as_readme_says(folder: Path, dev_image: str) -> None:
    """A poetry.lock both sides changed: the release's lines kept, then `poetry lock`."""
    lock = folder / "poetry.lock"
    before, after = COPIER_MARKERS
    text, count = re.subn(
        rf"^{re.escape(before)}\n.*?^=======\n(.*?)^{re.escape(after)}\n", r"\1",
        lock.read_text(), flags=re.M | re.S,
    )  # fmt: skip
    if count:
        lock.write_text(text)
        in_dev_image(dev_image, folder, "poetry", "lock")


def _copied_paths(names: list[str]) -> list[str]:
    """Where a copy has each of the template's files: the package under the team's name."""
    return [re.sub(rf"^{PACKAGE}/", f"{PACKAGE_NAME}/", name) for name in names]


def test_a_line_both_changed_is_left_between_markers_in_that_file_alone(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """The team changes a line of the Dockerfile that the release changed too."""
    removed = dockerfile_change()[0]
    folder = copier_copy(tmp_path_factory.mktemp("conflict"), PROJECT, previous_release())
    dockerfile = folder / "Dockerfile"
    assert removed[0] in dockerfile.read_text().splitlines()
    dockerfile.write_text(dockerfile.read_text().replace(removed[0], removed[0] + " # the team's"))
    _update(folder)
    lines = dockerfile.read_text().splitlines()
    assert set(COPIER_MARKERS) <= set(lines), "\n".join(lines[:40])
    unmerged = git(folder, "diff", "--name-only", "--diff-filter=U").split()
    assert unmerged == ["Dockerfile"], "the update left files conflicted that one side changed"
    assert removed[0] + " # the team's" in lines


def test_check_update_names_the_newer_release(tmp_path: Path) -> None:
    """On a clone of this repository with the releases tagged as CHANGELOG.md names them,
    `copier check-update` in a copy of the previous one names this one."""
    (latest, _), (previous, _) = releases()[:2]
    template = tagged_template(tmp_path / "template")
    folder = copy_of_release(template, tmp_path / "copy" / PROJECT, PROJECT, previous)
    checked = subprocess.run(
        [host_tool("copier"), "check-update", "--output-format", "json"],
        cwd=folder, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stderr[-2000:]
    found = json.loads(checked.stdout)
    assert found["update_available"] and found["latest_version"] == latest, found
