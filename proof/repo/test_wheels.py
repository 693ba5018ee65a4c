"""Every locked package installs from a wheel wherever the template runs: Linux on x86_64
and aarch64, each Python from the oldest that pyproject.toml admits to the Dockerfile's
default. A package that would need a source build there breaks the dev container on
that machine (no compiler, or a download from outside the package index)."""

import tomllib

import pytest
from packaging import tags
from packaging.markers import Marker
from packaging.utils import parse_wheel_filename

from proof.helpers.project import DEFAULT_PYTHON, REQUIRES_PYTHON, ROOT, supported_pythons

ARCHITECTURES = ("x86_64", "aarch64")
# The oldest glibc among the supported bases (Debian 12): a wheel built for a newer
# one does not install there.
GLIBC_MINOR = 36
LOCK = tomllib.loads((ROOT / "poetry.lock").read_text())
COMBINATIONS = [
    pytest.param(arch, python, id=f"{arch}-py{python}")
    for arch in ARCHITECTURES
    for python in supported_pythons()
]


def accepted_tags(python: str, arch: str) -> set[tags.Tag]:
    """The wheel tags that pip accepts for CPython `python` on glibc Linux `arch`."""
    version = tuple(int(part) for part in python.split("."))
    platforms = [f"manylinux_2_{minor}_{arch}" for minor in range(GLIBC_MINOR, 4, -1)]
    platforms += [f"manylinux{legacy}_{arch}" for legacy in ("2014", "2010", "1")]
    return {
        *tags.cpython_tags(version, platforms=platforms),
        *tags.compatible_tags(version, f"cp{python.replace('.', '')}", platforms),
    }


def installed_there(package: dict, python: str, arch: str) -> bool:
    """Whether the lock's markers install `package` on that Python and architecture."""
    markers = package.get("markers")
    if markers is None:
        return True
    environment = {
        "python_version": python,
        "python_full_version": f"{python}.0",
        "platform_machine": arch,
        "sys_platform": "linux",
        "platform_system": "Linux",
        "os_name": "posix",
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
    }
    by_group = markers.values() if isinstance(markers, dict) else [markers]
    return any(Marker(marker).evaluate(environment) for marker in by_group)


def test_versions_reach_from_requires_python_to_the_default() -> None:
    found = supported_pythons()
    lowest = min(spec.version for spec in REQUIRES_PYTHON if spec.operator == ">=")
    assert found and found[0] == lowest and found[-1] == DEFAULT_PYTHON, found


@pytest.mark.parametrize(("arch", "python"), COMBINATIONS)
def test_every_locked_package_has_a_wheel(arch: str, python: str) -> None:
    accepted = accepted_tags(python, arch)
    missing = []
    for package in LOCK["package"]:
        if not installed_there(package, python, arch):
            continue
        wheels = [f["file"] for f in package["files"] if f["file"].endswith(".whl")]
        if not any(parse_wheel_filename(wheel)[3] & accepted for wheel in wheels):
            missing.append(f"{package['name']} {package['version']}")
    assert not missing, (
        f"no wheel for Linux {arch} and Python {python}, so a source build would be "
        f"needed: {', '.join(missing)}"
    )
