"""A team's first week, on a copy: the package renamed by README's command, runtime
dependencies (one with an upper bound on Python) and a dev dependency added, a console
script declared, and a private source declared in a TOML spelling of the team's own.
Then dev and prod build, the dev container opens and passes the app tests, prod serves
and runs the script."""

import shlex
import subprocess
from pathlib import Path

import pytest

from proof.helpers import team
from proof.helpers.containers import in_dev_image, running, wait_until_serving
from proof.helpers.devcontainer import dev_container
from proof.helpers.engine import TEST_IMAGE, built, docker
from proof.helpers.project import PACKAGE, copy_project, rename_command


def _rename(folder: Path) -> None:
    """README's rename command for a copy made with "Use this template", with the team's
    names in place of README's."""
    words = shlex.split(rename_command())
    renamed = subprocess.run(
        [*words[:-2], team.PROJECT, team.PACKAGE], cwd=folder, capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip
    assert renamed.returncode == 0, renamed.stderr


# A Flask extension whose Python requirement has an upper bound (<4), as every package
# built with Poetry's `^3.x` has: Poetry adds it only to a project whose range is inside.
BOUNDED = "flask-babel"


@pytest.fixture(scope="module")
def changed(dev_image: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The copy after the first week's changes."""
    folder = copy_project(tmp_path_factory.mktemp("first-week"))
    folder.chmod(0o755)
    _rename(folder)
    team.declare_script_and_source(folder)
    in_dev_image(
        dev_image, folder, "sh", "-c",
        f"poetry lock && poetry add --lock six {BOUNDED} && poetry add --lock --group dev tomli-w",
    )  # fmt: skip
    return folder


def test_readmes_rename_leaves_no_file_naming_the_template(changed: Path) -> None:
    assert not (changed / PACKAGE).exists() and (changed / team.PACKAGE / "__init__.py").is_file()
    assert team.template_names_left(changed) == [], "README's rename leaves these"


def test_prod_serves_and_runs_the_console_script(changed: Path) -> None:
    image = built(f"{TEST_IMAGE}:first-week-prod", "--target", "prod", context=changed)
    assert (
        docker("run", "--rm", image, team.SCRIPT).stdout.strip()
        == f"{team.SCRIPT} from {team.PACKAGE}"
    )
    assert docker("run", "--rm", image, "python3", "-c", "import six, flask_babel").returncode == 0
    with running(image) as server:
        wait_until_serving(server)


def test_dev_container_opens_passes_the_app_tests_and_runs_the_script(
    changed: Path,
) -> None:
    with dev_container(changed) as container:
        tests = container.exec("pytest")
        assert tests.returncode == 0, tests.stdout[-4000:] + tests.stderr[-2000:]
        script = container.exec(team.SCRIPT)
        assert script.stdout.strip() == f"{team.SCRIPT} from {team.PACKAGE}", script.stderr
        imports = container.exec("python", "-c", "import six, flask_babel, tomli_w")
        assert imports.returncode == 0, imports.stderr
