"""The workflows and Dependabot's settings hold up to a supply-chain review: zizmor
(pinned in requirements.txt, offline) finds nothing in the repository nor in a copy that
Copier made; and it finds what it looks for where it is there."""

import shutil
import subprocess
from pathlib import Path

from proof.helpers.copies import copier_copy
from proof.helpers.project import ROOT, host_tool

# A job as a workflow commonly has it: an action by tag, its token left on disk.
CARELESS = """name: careless
on: push
permissions:
  contents: read
jobs:
  build:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v4
"""


def _zizmor(folder: Path) -> subprocess.CompletedProcess[str]:
    """zizmor on folder's workflows and Dependabot settings."""
    github = folder / ".github"
    files = [*sorted((github / "workflows").glob("*.yml")), github / "dependabot.yml"]
    return subprocess.run(
        [host_tool("zizmor"), "--offline", "--no-progress", *map(str, files)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_zizmor_finds_nothing_in_the_workflows() -> None:
    result = _zizmor(ROOT)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "No findings" in result.stdout + result.stderr


def test_zizmor_finds_nothing_in_a_copys_workflows(tmp_path: Path) -> None:
    result = _zizmor(copier_copy(tmp_path, "acme-orders"))
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "No findings" in result.stdout + result.stderr


def test_zizmor_finds_an_action_by_tag_and_a_token_left_on_disk(tmp_path: Path) -> None:
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "careless.yml").write_text(CARELESS)
    shutil.copy(ROOT / ".github" / "dependabot.yml", tmp_path / ".github")
    result = _zizmor(tmp_path)
    assert result.returncode != 0, "zizmor passed an action by tag"
    assert "unpinned-uses" in result.stdout and "artipacked" in result.stdout, result.stdout
