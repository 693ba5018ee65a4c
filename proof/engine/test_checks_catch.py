"""What a passing test run hides, the test command catches: a type error in the package
fails it, naming the file and line; a deleted test fails it under the coverage floor,
and on GitHub Actions the coverage table reaches the job's summary all the same."""

from pathlib import Path

from proof.helpers.copies import commit_all, git
from proof.helpers.project import PACKAGE
from proof.helpers.shell import run_test_command

TYPE_ERROR = """

def cents(euros: int) -> int:
    return euros * 100


PRICE = cents("12")
"""


def _committed(folder: Path) -> Path:
    """The copy as a repository, as the commit hook's checks need it."""
    git(folder, "init", "--quiet")
    commit_all(folder, "the service")
    return folder


def test_a_type_error_fails_the_test_command_naming_file_and_line(project_copy: Path) -> None:
    _committed(project_copy)
    views = project_copy / PACKAGE / "views.py"
    views.write_text(views.read_text() + TYPE_ERROR)
    line = views.read_text().splitlines().index('PRICE = cents("12")') + 1
    result = run_test_command(project_copy)
    output = result.stdout + result.stderr
    assert result.returncode != 0, "a type error passed the test command"
    assert f"{PACKAGE}/views.py:{line}: error" in output, output[-4000:]


def test_a_deleted_test_fails_under_the_coverage_floor(project_copy: Path, tmp_path: Path) -> None:
    _committed(project_copy)
    (project_copy / "tests" / "test_errors.py").unlink()
    summary = tmp_path / "summary.md"
    result = run_test_command(project_copy, GITHUB_STEP_SUMMARY=str(summary))
    output = result.stdout + result.stderr
    assert result.returncode != 0, "the tests passed with a test file deleted"
    assert "Required test coverage" in output, output[-4000:]
    assert f"{PACKAGE}/errors.py" in summary.read_text(), "no coverage table in the summary"
