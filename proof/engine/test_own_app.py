"""A team's own app: real Flask apps that nobody here wrote (Flask's examples; the Celery one
in test_worker.py), each brought into a copy named for it by README's "Bring your app"
steps, pass the copy's test command, and prod serves their pages and static files under
deploy/kubernetes' settings, the app writing its instance folder; what the template asks
of an app fails with a message."""

from pathlib import Path

import pytest

from proof.helpers.brought import (
    App,
    adopt,
    bring,
    dependencies_command,
    serve_it,
    set_wsgi_app,
)
from proof.helpers.containers import dev_image_run, running, wait_until_serving
from proof.helpers.copies import copier_copy
from proof.helpers.engine import TEST_IMAGE, built, docker, remove_images
from proof.helpers.http import http_get
from proof.helpers.project import PACKAGE
from proof.helpers.restricted import manifest_docker_args
from proof.helpers.shell import run_test_command

pytestmark = pytest.mark.apps

APPS = [
    App(
        "javascript", "js_example", "js_example", factory=False,
        health=("js_example/views.py", None),
        pages={"/": "text/html", "/jquery": "text/html"},
    ),
    App(
        "tutorial", "flaskr", "flaskr",
        health=("flaskr/__init__.py", "    os.makedirs(app.instance_path, exist_ok=True)"),
        setup=["flask", "--app", "flaskr", "init-db"],
        pages={"/": "text/html", "/auth/register": "text/html", "/static/style.css": "text/css"},
    ),
]  # fmt: skip


@pytest.fixture(scope="module", params=APPS, ids=lambda app: app.example)
def brought(
    request: pytest.FixtureRequest, examples: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[App, Path]:
    """A copy named for the app, with it brought in and README's steps taken in the copy's
    dev container, committed."""
    app: App = request.param
    copy = copier_copy(tmp_path_factory.mktemp(app.example), app.project, package_name=app.package)
    bring(app, examples, copy)
    serve_it(app, copy)
    adopt(app, copy)
    return app, copy


def test_copy_passes_its_test_command(brought: tuple[App, Path]) -> None:
    _, copy = brought
    result = run_test_command(copy)
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-3000:]


def test_prod_serves_its_pages_under_the_manifests_settings(brought: tuple[App, Path]) -> None:
    app, copy = brought
    tag = f"{TEST_IMAGE}:app-{app.example}"
    try:
        with running(
            built(tag, "--target", "prod", context=copy), *manifest_docker_args()
        ) as server:
            wait_until_serving(server)
            if app.setup:
                # As its README says, run where it serves: it writes its instance folder.
                done = server.exec(*app.setup)
                assert done.returncode == 0, done.stdout + done.stderr
            for path, kind in app.pages.items():
                status, headers, _ = http_get(server.url(path), timeout=5)
                assert (status, headers.get("Content-Type", "").split(";")[0]) == (200, kind), path
            logs = server.logs().stdout
            assert "Traceback" not in logs and "Permission denied" not in logs, logs[-3000:]
    finally:
        docker("image", "rm", "--force", tag, check=False)
        remove_images("docker", f"vsc-{app.project}-")


def test_a_requirement_poetry_cannot_take_is_named_and_nothing_changes(
    dev_image: str, project_copy: Path
) -> None:
    (project_copy / "requirements.txt").write_text("flask>=3\n-e ./vendored\n")
    before = (project_copy / "pyproject.toml").read_text()
    command = dependencies_command("requirements.txt")
    done = dev_image_run(dev_image, project_copy, "bash", "-c", command, check=False)
    assert done.returncode != 0 and "requirements.txt:2" in done.stderr, done.stderr[-2000:]
    assert (project_copy / "pyproject.toml").read_text() == before


@pytest.mark.parametrize(
    ("target", "named"),
    [(f"{PACKAGE}:make_app()", "make_app"), (f"{PACKAGE}.bare:app", "/health")],
    ids=["no factory", "no health route"],
)
def test_an_app_without_what_prod_asks_fails_the_app_tests_saying_so(
    dev_image: str, project_copy: Path, target: str, named: str
) -> None:
    (project_copy / PACKAGE / "bare.py").write_text(
        "from flask import Flask\n\napp = Flask(__name__)\n"
    )
    set_wsgi_app(project_copy, target)
    done = dev_image_run(
        dev_image, project_copy, "pytest", "-p", "no:cacheprovider", "tests/test_served.py",
        check=False,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout[-3000:]
    assert named in done.stdout and target in done.stdout, done.stdout[-3000:]
