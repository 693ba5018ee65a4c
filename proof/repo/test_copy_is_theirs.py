"""A copy speaks of the team's service: in a copy made by README's `copier copy` and in
one made with "Use this template", renamed and dropped as README says, no file tells how
to start a copy or drop the template's parts, refers to a file or README section the copy
lacks, or holds Copier's conflict markers (Copier takes any file holding them for one it
left conflicted), and README is short. Each kind of finding is shown to be found."""

import re
import shutil
from pathlib import Path

import pytest

from proof.helpers.copies import COPIER_MARKERS, copier_copy
from proof.helpers.project import ROOT, copy_project, drop_command, rename_command, text_files
from proof.helpers.shell import run_in

PROJECT = "acme-orders"
README_LINES = 150
# What only tells how to start a copy: README's commands and the parts its rename removes.
STARTING_A_COPY = re.compile(r"copier copy|Use this template|rename\.py|template-only")
# A Markdown link to a file, and a comment's pointer to a part of README.
LINK = re.compile(r"\]\((?![a-z]+:|#)([^)\s#]+)")
README_PART = re.compile(r"README: ([A-Z][\w' ]*\w)")


def findings(copy: Path) -> list[str]:
    readme = (copy / "README.md").read_text()
    found = [f"README.md: {len(readme.splitlines())} lines"] * (
        len(readme.splitlines()) > README_LINES
    )
    for path, text in text_files(copy).items():
        where = path.relative_to(copy)
        found += [f"{where}: {m.group(0)}" for m in STARTING_A_COPY.finditer(text)]
        found += [f"{where}: {line}" for line in text.splitlines() if line in COPIER_MARKERS]
        if path.suffix == ".md":
            found += [
                f"{where}: link to {target}"
                for target in LINK.findall(text)
                if not (path.parent / target).exists()
            ]
        found += [
            f"{where}: README: {part}"
            for part in README_PART.findall(text)
            if not re.search(rf"^#+ {re.escape(part)}$|\*\*{re.escape(part)}\*\*", readme, re.M)
        ]
    return found


@pytest.fixture(scope="module")
def copied(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copier_copy(tmp_path_factory.mktemp("copier"), PROJECT)


@pytest.fixture(scope="module")
def from_github(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy from "Use this template": README's rename, then its drop."""
    folder = copy_project(tmp_path_factory.mktemp("template"))
    for command in (rename_command(), drop_command()):
        result = run_in(folder, command, timeout=60)
        assert result.returncode == 0, result.stderr
    return folder


def test_a_copier_copy_speaks_of_its_service(copied: Path) -> None:
    assert findings(copied) == []


def test_a_copy_from_use_this_template_speaks_of_its_service(from_github: Path) -> None:
    assert findings(from_github) == []


def _readme_as_the_template_has_it(copy: Path) -> None:
    shutil.copy(ROOT / "README.md", copy / "README.md")


def _conflict_left(copy: Path) -> None:
    with (copy / "compose.yaml").open("a") as compose:
        compose.write("\n".join([COPIER_MARKERS[0], "=======", COPIER_MARKERS[1], ""]))


def _dead_link(copy: Path) -> None:
    with (copy / "README.md").open("a") as readme:
        readme.write("\nHow the template proves it: [the proof](proof/README.md).\n")


def _long_readme(copy: Path) -> None:
    with (copy / "README.md").open("a") as readme:
        readme.write("\nmore\n" * README_LINES)


def _missing_part(copy: Path) -> None:
    with (copy / "compose.yaml").open("a") as compose:
        compose.write("# As README says (README: Start a copy).\n")


@pytest.mark.parametrize(
    "spoil",
    [_readme_as_the_template_has_it, _conflict_left, _dead_link, _long_readme, _missing_part],
)
def test_each_kind_of_finding_is_found(copied: Path, tmp_path: Path, spoil) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(copied, copy, ignore=shutil.ignore_patterns(".git"))
    spoil(copy)
    assert findings(copy), f"{spoil.__name__}: nothing found"
