import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from proof.helpers import team
from proof.helpers.brought import download_examples
from proof.helpers.compose import Compose, compose_project
from proof.helpers.containers import Container, running, wait_until_serving
from proof.helpers.copies import copier_copy
from proof.helpers.engine import TEST_IMAGE, built, docker, fresh_base_context, remove_images
from proof.helpers.private_index import (
    PACKAGE,
    Index,
    project_using_index,
    publish_package,
    serving_index,
)
from proof.helpers.project import PYTHON_IMAGE, copy_project
from proof.helpers.registry import Registry, serving_registry


@pytest.fixture(scope="session", autouse=True)
def docker_engine() -> None:
    """Fail at once, saying what to install, when there is no Docker engine to use."""
    if shutil.which("docker") is None:
        pytest.fail("docker not found: install Docker Engine 26.1+ or Docker Desktop")
    if subprocess.run(["docker", "info"], capture_output=True, check=False).returncode != 0:
        pytest.fail(
            "the Docker engine does not answer: start it, and make sure this user may use it"
        )


@pytest.fixture(scope="session")
def prod_image() -> str:
    """The prod target, built from the project."""
    return built(f"{TEST_IMAGE}:prod", "--target", "prod")


@pytest.fixture(scope="session")
def dev_image() -> str:
    """The dev target, built from the project."""
    return built(f"{TEST_IMAGE}:dev", "--target", "dev")


@pytest.fixture
def prod_server(prod_image: str) -> Iterator[Container]:
    """A prod container answering on a loopback port."""
    with running(prod_image) as container:
        wait_until_serving(container)
        yield container


@pytest.fixture
def project_copy() -> Iterator[Path]:
    """A copy of the project's files, free to change, readable by any container user."""
    copy = Path(tempfile.mkdtemp(prefix="minimal-py-poetry-"))
    copy.chmod(0o755)
    yield copy_project(copy)
    shutil.rmtree(copy)


@pytest.fixture
def compose(project_copy: Path) -> Iterator[Compose]:
    """docker compose in a copy of the project, on free loopback ports; always taken down."""
    with compose_project(project_copy) as project:
        yield project


@pytest.fixture(scope="session")
def registry() -> Iterator[Registry]:
    """A registry on 127.0.0.1 with a login, which the engine holds. Its port is this
    run's own: the images the engines hold by its name go with it."""
    folder = Path(tempfile.mkdtemp(prefix="registry-"))
    with serving_registry(folder) as found:
        yield found
    for engine in ("docker", "podman"):
        remove_images(engine, f"{found.host}/")
    shutil.rmtree(folder)


@pytest.fixture(scope="session")
def base(registry: Registry) -> str:
    """The base image as a two-platform index in the registry, as the official one is."""
    arm64 = os.environ.get("ARM64_PYTHON_IMAGE", PYTHON_IMAGE)
    name = f"{registry.host}/python:base"
    parts = []
    for platform, image in (("amd64", PYTHON_IMAGE), ("arm64", arm64)):
        part = f"{name}-{platform}"
        docker("tag", image, part)
        pushed = registry.run("docker", "push", "--quiet", part)
        assert pushed.returncode == 0, pushed.stderr
        parts.append(part)
    made = registry.run("docker", "buildx", "imagetools", "create", "--tag", name, *parts)
    assert made.returncode == 0, made.stderr
    return name


@pytest.fixture(scope="module")
def fresh_base(registry: Registry, base: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The base plus a layer of the test module's own, for both platforms, in the
    registry: no engine has built on it, so every step built on it runs."""
    context = fresh_base_context(tmp_path_factory.mktemp("fresh-base"), base)
    name = f"{registry.host}/python:fresh"
    made = registry.run(
        "docker", "buildx", "build", "--platform", "linux/amd64,linux/arm64",
        "--provenance", "false", "--tag", name, "--push", str(context),
    )  # fmt: skip
    assert made.returncode == 0, made.stderr[-4000:]
    return name


@pytest.fixture(scope="session")
def examples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Flask's examples, downloaded once a session."""
    return download_examples(tmp_path_factory.mktemp("flask-sdist"))


@pytest.fixture(scope="session")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Index]:
    """A company index that needs a login, on a loopback port."""
    with serving_index(tmp_path_factory.mktemp("index")) as served:
        yield served


@pytest.fixture(scope="session")
def private_version(index: Index, dev_image: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The version of a package of our own on the index, which no earlier run has cached."""
    return publish_package(index, dev_image, tmp_path_factory.mktemp(PACKAGE))


@pytest.fixture(scope="session")
def private_project(
    index: Index, private_version: str, dev_image: str, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The project with the index declared and the package added from it, the Poetry way."""
    folder = tmp_path_factory.mktemp("private-project")
    return project_using_index(index, private_version, dev_image, folder)


@pytest.fixture(scope="session")
def copied(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of this commit that Copier made with the team's answers, committed."""
    return copier_copy(tmp_path_factory.mktemp("copier"), team.PROJECT)
