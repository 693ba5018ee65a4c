"""Where users run the template besides the default image on amd64: linux/arm64 (Apple
Silicon, Graviton) under emulation, and a company's own Debian base that has the oldest
Python pyproject.toml admits and the distribution's pip. Each gets the few checks that
show it works; the full suite runs on the default image."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from proof.helpers.containers import Container, app_tests, run_python, running, wait_until_serving
from proof.helpers.engine import TEST_IMAGE, built, docker
from proof.helpers.image_contents import apt_leftovers, structure_test
from proof.helpers.project import PYTHON_IMAGE, supported_pythons

ARM64 = ("--platform", "linux/arm64")
# The default image's arm64 variant; CI, which has no registry, names a local stand-in.
ARM64_BASE = os.environ.get("ARM64_PYTHON_IMAGE", PYTHON_IMAGE)
DISTRO_DOCKERFILE = Path(__file__).with_name("distro-base.Dockerfile")
# Emulated, the server boots several times slower.
EMULATED_START_S = 120
MACHINE = "import platform; print(platform.machine())"


@pytest.fixture(scope="module")
def arm64_base() -> str:
    result = docker("run", "--rm", *ARM64, ARM64_BASE, "uname", "-m", check=False)
    if result.stdout.strip() != "aarch64":
        pytest.fail(
            f"linux/arm64 containers of {ARM64_BASE} do not run here: register QEMU for "
            "arm64 binaries with the F flag (Docker Desktop has it; on Linux, Debian's "
            f"qemu-user-static as .ci/run sets it up):\n{result.stderr[-2000:]}"
        )
    return ARM64_BASE


def _dev_and_prod(name: str, base: str, *args: str) -> dict[str, str]:
    base_arg = f"PYTHON_IMAGE={base}"
    return {
        target: built(
            f"{TEST_IMAGE}:{name}-{target}", "--target", target, "--build-arg", base_arg, *args
        )
        for target in ("dev", "prod")
    }


@pytest.fixture(scope="module")
def arm64_images(arm64_base: str) -> dict[str, str]:
    """dev and prod built for linux/arm64 on an arm64 base."""
    return _dev_and_prod("arm64", arm64_base, *ARM64)


@pytest.fixture(scope="module")
def distro_base(tmp_path_factory: pytest.TempPathFactory) -> str:
    """distro-base.Dockerfile: Debian's python3, venv module and PEP 668 pip."""
    return built(
        f"{TEST_IMAGE}:distro-base",
        "--file", str(DISTRO_DOCKERFILE),
        context=tmp_path_factory.mktemp("distro-base"),
    )  # fmt: skip


@pytest.fixture(scope="module")
def distro_images(distro_base: str) -> dict[str, str]:
    """dev and prod with PYTHON_IMAGE set to the distro base."""
    return _dev_and_prod("distro", distro_base)


@pytest.fixture
def arm64_server(arm64_images: dict[str, str]) -> Iterator[Container]:
    with running(arm64_images["prod"], *ARM64) as container:
        wait_until_serving(container, seconds=EMULATED_START_S)
        yield container


def test_arm64_dev_runs_the_app_tests(arm64_images: dict[str, str]) -> None:
    dev = arm64_images["dev"]
    assert docker("run", "--rm", *ARM64, dev, "python3", "-c", MACHINE).stdout.strip() == "aarch64"
    result = app_tests(dev, *ARM64)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout


def test_arm64_prod_serves_health_from_aarch64(arm64_server: Container) -> None:
    machine = docker("exec", arm64_server.id, "python3", "-c", MACHINE).stdout.strip()
    assert machine == "aarch64"


def test_arm64_prod_structure(arm64_images: dict[str, str]) -> None:
    result = structure_test(arm64_images["prod"], "prod-structure.yaml", *ARM64)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]


def test_distro_base_has_the_oldest_python_and_a_managed_pip(distro_base: str) -> None:
    oldest = supported_pythons()[0]
    found = run_python(
        distro_base,
        "import os, sys, sysconfig, pip; print('%d.%d' % sys.version_info[:2]); "
        "print(os.path.exists(os.path.join(sysconfig.get_path('stdlib'), 'EXTERNALLY-MANAGED')))",
    ).split()
    assert found[0] == oldest, (
        f"{DISTRO_DOCKERFILE.name} gives Python {found[0]}, but the oldest that "
        f"requires-python admits is {oldest}: set DEBIAN_IMAGE to a release that has it"
    )
    assert found[1] == "True", "the base's pip is not the distribution's (no EXTERNALLY-MANAGED)"


def test_distro_dev_keeps_no_apt_lists_or_caches(
    distro_images: dict[str, str], distro_base: str, tmp_path: Path
) -> None:
    assert apt_leftovers(distro_images["dev"], distro_base, tmp_path) == []


def test_distro_dev_runs_the_app_tests_as_uid_1000(distro_images: dict[str, str]) -> None:
    dev = distro_images["dev"]
    assert docker("run", "--rm", dev, "id", "-u", "-n").stdout.strip() == "dev"
    assert docker("run", "--rm", dev, "id", "-u").stdout.strip() == "1000"
    result = app_tests(dev)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_distro_prod_serves_and_cannot_import_pip(distro_images: dict[str, str]) -> None:
    prod = distro_images["prod"]
    with running(prod) as container:
        wait_until_serving(container)
    found = run_python(prod, "import importlib.util, sys; print(importlib.util.find_spec('pip'))")
    assert found.strip() == "None"
