"""The check that a copy no longer names the template (team.template_names_left) can fail:
a rename that lacks any one of .copier/rename.py's patterns leaves places it finds, and
README's rename leaves none."""

import importlib.util
import shlex
import subprocess
from pathlib import Path

import pytest

from proof.helpers import team
from proof.helpers.project import ROOT, copy_project, rename_command

RENAME = ROOT / ".copier" / "rename.py"


def _rename_module():
    spec = importlib.util.spec_from_file_location("rename", RENAME)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readmes_rename_leaves_nothing_the_check_finds(tmp_path: Path) -> None:
    copy = copy_project(tmp_path)
    assert team.template_names_left(copy), "the check finds nothing in a copy not renamed"
    words = shlex.split(rename_command())
    subprocess.run([*words[:-2], team.PROJECT, team.PACKAGE], cwd=copy, check=True, timeout=60)
    assert team.template_names_left(copy) == []


@pytest.mark.parametrize("dropped", range(len(_rename_module().REFERENCES)))
def test_a_rename_without_one_of_its_patterns_is_caught(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dropped: int
) -> None:
    rename = _rename_module()
    pattern = rename.REFERENCES.pop(dropped)
    copy = copy_project(tmp_path)
    monkeypatch.chdir(copy)
    rename.main(team.PROJECT, team.PACKAGE)
    assert team.template_names_left(copy), f"a rename without {pattern!r} passes the check"
