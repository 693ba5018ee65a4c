"""The service grows, on a copy, the way README says: a database beside it, which the dev
container and the compose dev server reach by name, and a dependency built from source
against a system library (psycopg2 and libpq)."""

import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from proof.helpers.compose import Compose, compose_project
from proof.helpers.debugging import f5_stops_in
from proof.helpers.devcontainer import DevContainer, dev_container
from proof.helpers.engine import TEST_IMAGE, built, docker
from proof.helpers.http import http_get, http_post_json
from proof.helpers.project import (
    PACKAGE,
    add_readme_service,
    blueprint_of,
    copy_project,
    readme_command,
)
from proof.helpers.waiting import wait_until

pytestmark = pytest.mark.floor

PACKAGES_LINE = r"ARG RUNTIME_PACKAGES="
# What the copy adds to its views: notes kept in the database that FLASK_DATABASE_URL names.
ROUTES = """

import psycopg2
from flask import current_app


def _query(sql, *args):
    with psycopg2.connect(current_app.config["DATABASE_URL"]) as db, db.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS notes (text text NOT NULL)")
        cursor.execute(sql, args)
        return cursor.fetchall() if cursor.description else []


@{bp}.post("/notes")
def add_note():
    _query("INSERT INTO notes VALUES (%s)", request.get_json()["text"])
    return {{"added": True}}, 201


@{bp}.get("/notes")
def notes():
    return {{"notes": [text for (text,) in _query("SELECT text FROM notes")]}}
"""
# And to its tests: one that queries the database.
TEST = """import os
import uuid

from {package} import create_app


def test_a_note_is_kept() -> None:
    url = os.environ["FLASK_DATABASE_URL"]
    client = create_app({{"TESTING": True, "DATABASE_URL": url}}).test_client()
    text = uuid.uuid4().hex
    assert client.post("/notes", json={{"text": text}}).status_code == 201
    assert text in client.get("/notes").get_json()["notes"]
"""
# The notes the app in a dev container finds, as the copy's routes give them.
READ_NOTES = (
    "import os; from {package} import create_app; "
    "app = create_app({{'DATABASE_URL': os.environ['FLASK_DATABASE_URL']}}); "
    "print(app.test_client().get('/notes').get_json()['notes'])"
)


@dataclass
class Grown:
    folder: Path
    container: DevContainer
    compose: Compose


def _set_packages(dockerfile: Path) -> None:
    """README's line of system packages in place of the Dockerfile's."""
    line = readme_command("system-packages", PACKAGES_LINE).string
    packages = re.compile(rf"^{PACKAGES_LINE}.*$", re.M)
    assert packages.search(dockerfile.read_text()), f"no line {PACKAGES_LINE!r} in the Dockerfile"
    dockerfile.write_text(packages.sub(line, dockerfile.read_text(), count=1))


def _add_notes(folder: Path) -> None:
    views = folder / PACKAGE / "views.py"
    with views.open("a") as source:
        source.write(ROUTES.format(bp=blueprint_of(views)))
    (folder / "tests" / "test_notes.py").write_text(TEST.format(package=PACKAGE))


@pytest.fixture(scope="module")
def grown(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Grown]:
    """A copy with README's system packages and database, its dev container open after
    `poetry add psycopg2` there, and its compose project, taken down with its data."""
    folder = copy_project(tmp_path_factory.mktemp("grows"))
    folder.chmod(0o755)
    _set_packages(folder / "Dockerfile")
    add_readme_service(folder)
    _add_notes(folder)
    # The project the dev container's initializeCommand starts: the folder's name.
    with compose_project(folder, folder.name) as compose, dev_container(folder) as container:
        added = container.exec("poetry", "add", "psycopg2")
        assert added.returncode == 0, added.stdout[-4000:] + added.stderr[-4000:]
        yield Grown(folder, container, compose)


def test_app_tests_query_the_database_in_the_dev_container(grown: Grown) -> None:
    tests = grown.container.exec("pytest", "-p", "no:cacheprovider")
    assert tests.returncode == 0, tests.stdout[-4000:] + tests.stderr[-2000:]
    assert "test_notes.py" in tests.stdout, "the database test did not run"


def test_dev_server_writes_what_a_rebuilt_dev_container_reads(grown: Grown) -> None:
    """The compose dev server keeps a note in the database, and its debug server reads it;
    with the database's container gone and the dev container rebuilt, opening it starts
    the database again on its volume, and the note is there."""
    up = grown.compose.run("up", "--detach", "--build", "app")
    assert up.returncode == 0, up.stdout[-2000:] + up.stderr[-4000:]
    note = uuid.uuid4().hex
    url = f"http://127.0.0.1:{grown.compose.app_port}/notes"
    added = wait_until(lambda: http_post_json(url, {"text": note}), bool, "POST /notes", 60)
    assert added[0] == 201, (
        f"POST /notes answered {added}:\n{grown.compose.run('logs').stdout[-3000:]}"
    )
    # The compose debug server, which VS Code attaches to, has app's service and settings.
    grown.compose.run("rm", "--stop", "--force", "app")
    debug = grown.compose.run("--profile", "debug", "up", "--detach", "--build", "debug")
    assert debug.returncode == 0, debug.stdout[-2000:] + debug.stderr[-4000:]
    listed = wait_until(lambda: http_get(url, timeout=2), lambda r: r[0] == 200, "GET /notes", 60)
    assert note in json.loads(listed[2])["notes"]
    removed = grown.compose.run("--profile", "debug", "rm", "--stop", "--force", "debug", "db")
    assert removed.returncode == 0, removed.stderr[-2000:]
    rebuilt = grown.container.cli("up", "--remove-existing-container")
    assert rebuilt.returncode == 0, rebuilt.stdout[-2000:] + rebuilt.stderr[-4000:]
    found = grown.container.exec("python", "-c", READ_NOTES.format(package=PACKAGE))
    assert found.returncode == 0, found.stderr[-2000:]
    assert note in found.stdout, f"the note is gone after the rebuild: {found.stdout[-500:]}"


def test_f5_stops_in_a_route_that_queries_it(grown: Grown) -> None:
    """F5's configuration in the copy's dev image, run with the network and settings that
    devcontainer.json gives the dev container."""
    config = json.loads((grown.folder / ".devcontainer" / "devcontainer.json").read_text())
    settings = [f"--env={k}={v}" for k, v in config["containerEnv"].items() if "${" not in v]
    image = built(f"{TEST_IMAGE}:grows-dev", "--target", "dev", context=grown.folder)
    f5_stops_in(image, grown.folder, "notes", "/notes", [*config["runArgs"], *settings])


@pytest.fixture(scope="module")
def prod_with_psycopg2(grown: Grown) -> str:
    return built(f"{TEST_IMAGE}:psycopg2-prod", "--target", "prod", context=grown.folder)


def test_prod_imports_it_and_finds_the_library(prod_with_psycopg2: str) -> None:
    version = docker(
        "run", "--rm", prod_with_psycopg2, "python3", "-c",
        "import psycopg2; print(psycopg2.__libpq_version__)",
    ).stdout.strip()  # fmt: skip
    assert version.isdigit(), f"psycopg2 reports no libpq version: {version!r}"


def test_prod_holds_no_compiler_or_headers(prod_with_psycopg2: str) -> None:
    found = docker(
        "run", "--rm", prod_with_psycopg2, "sh", "-c",
        "command -v gcc cc c++ pg_config; ls /usr/include/libpq-fe.h /usr/include/postgresql;"
        " echo looked",
        check=False,
    ).stdout.split()  # fmt: skip
    assert found == ["looked"], f"build-only files in prod, or none looked for: {found}"
