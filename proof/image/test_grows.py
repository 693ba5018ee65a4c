"""The service grows, on a copy: a dependency built from source against a system library
(psycopg2 and libpq), added the way README's "System packages" says."""

import re
from pathlib import Path

import pytest

from proof.helpers.engine import built, dev_container, docker
from proof.helpers.project import copy_project, readme_command

PACKAGES_LINE = r"ARG RUNTIME_PACKAGES="


@pytest.fixture(scope="module")
def with_psycopg2(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy whose Dockerfile lists README's packages, after `poetry add psycopg2` in its
    dev container."""
    folder = copy_project(tmp_path_factory.mktemp("psycopg2"))
    folder.chmod(0o755)
    dockerfile = folder / "Dockerfile"
    line = readme_command(PACKAGES_LINE).string
    packages = re.compile(rf"^{PACKAGES_LINE}.*$", re.M)
    assert packages.search(dockerfile.read_text()), f"no line {PACKAGES_LINE!r} in the Dockerfile"
    dockerfile.write_text(packages.sub(line, dockerfile.read_text(), count=1))
    add = ["poetry", "add", "psycopg2"]
    with dev_container(folder) as container:
        result = container.exec(*add)
        assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
        imported = container.exec("python", "-c", "import psycopg2")
        assert imported.returncode == 0, imported.stderr[-2000:]
    return folder


@pytest.fixture(scope="module")
def prod_with_psycopg2(with_psycopg2: Path) -> str:
    return built("minimal-py-poetry-test:psycopg2-prod", "--target", "prod", context=with_psycopg2)


def test_prod_imports_it_and_finds_the_library(prod_with_psycopg2: str) -> None:
    version = docker(
        "run", "--rm", prod_with_psycopg2, "python3", "-c",
        "import psycopg2; print(psycopg2.__libpq_version__)",
    ).stdout.strip()  # fmt: skip
    assert version.isdigit(), f"psycopg2 reports no libpq version: {version!r}"


def test_prod_holds_no_compiler_or_headers(prod_with_psycopg2: str) -> None:
    found = docker(
        "run", "--rm", prod_with_psycopg2, "sh", "-c",
        "command -v gcc cc c++ pg_config; ls /usr/include/libpq-fe.h /usr/include/postgresql",
        check=False,
    ).stdout.split()  # fmt: skip
    assert found == [], f"build-only files in prod: {found}"
