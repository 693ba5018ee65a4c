"""The dev image: the tools a developer expects, and a venv the workspace mount leaves alone."""

from tests.helpers.engine import app_tests, docker


def test_has_poetry_pytest_debugpy_and_git(dev_image: str) -> None:
    script = "poetry --version && pytest --version && python3 -c 'import debugpy' && git --version"
    result = docker("run", "--rm", dev_image, "sh", "-c", script, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Poetry (version" in result.stdout


def test_runs_as_the_non_root_dev_user(dev_image: str) -> None:
    assert docker("run", "--rm", dev_image, "id", "-un").stdout.strip() == "dev"


def test_app_tests_pass_with_the_source_mounted(dev_image: str) -> None:
    """The workspace mount hides no venv: the app tests pass against the mounted source."""
    result = app_tests(dev_image)
    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout
