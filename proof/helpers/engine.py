"""The engines' command lines: docker, and rootless Podman as the user running the tests;
builds with this environment's mirror and netrc, and the removal of the images they made."""

import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from proof.helpers.project import ROOT
from proof.helpers.users import HOST_NETRC

# The Dockerfile needs BuildKit (cache mounts); clients that default to it ignore this.
DOCKER_ENV = {**os.environ, "DOCKER_BUILDKIT": "1"}
# The name of every image the tests build, each under a tag of its own.
TEST_IMAGE = "minimal-py-poetry-test"


def docker(
    *args: str, check: bool = True, timeout: float = 900
) -> subprocess.CompletedProcess[str]:
    return _engine("docker", *args, check=check, timeout=timeout)


def podman(
    *args: str, check: bool = True, timeout: float = 900
) -> subprocess.CompletedProcess[str]:
    """Rootless Podman, as the user running the tests."""
    if shutil.which("podman") is None:
        pytest.fail("podman not found: install Podman 5 (Debian and Fedora: package podman)")
    return _engine("podman", *args, check=check, timeout=timeout)


def engine_cli(engine: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """docker or podman, by the engine's command name."""
    return (podman if engine == "podman" else docker)(*args, check=check)


def _engine(
    program: str, *args: str, check: bool, timeout: float
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [program, *args],
        env=DOCKER_ENV, capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip
    if check and result.returncode != 0:
        raise AssertionError(
            f"{program} {' '.join(args)} failed:\n{result.stdout}\n{result.stderr[-4000:]}"
        )
    return result


def build(
    tag: str,
    *args: str,
    context: Path = ROOT,
    netrc: Path | None = HOST_NETRC,
    engine: str = "docker",
) -> subprocess.CompletedProcess[str]:
    """Build with the mirror setting of this environment and, if there is that file,
    netrc as the `netrc` secret; BuildKit's output is in stderr, Podman's in stdout."""
    secret = ["--secret", f"id=netrc,src={netrc}"] if netrc and netrc.is_file() else []
    progress = ["--progress=plain"] if engine == "docker" else []
    return engine_cli(
        engine, "build", *progress, "--tag", tag, "--build-arg", "PYTHON_IMAGE",
        "--build-arg", "POETRY_PYPI_MIRROR_URL", *secret, *args, str(context),
        check=False,
    )  # fmt: skip


def built(tag: str, *args: str, context: Path = ROOT, netrc: Path | None = HOST_NETRC) -> str:
    """Build tag (see build) and return it; a failed build fails the test."""
    result = build(tag, *args, context=context, netrc=netrc)
    assert result.returncode == 0, f"building {tag} failed:\n{result.stderr[-4000:]}"
    return tag


def fresh_base_context(folder: Path, base: str) -> Path:
    """folder as a build context for base plus a layer of its own. BuildKit keys a base
    by its layers, not its config, so no engine has a cached step built on the result:
    each is built anew or taken from a cache it is given."""
    (folder / "nonce").write_text(str(uuid.uuid4()))
    (folder / "Dockerfile").write_text(f"FROM {base}\nCOPY nonce /etc/fresh-base\n")
    return folder


def remove_images(engine: str, prefix: str) -> None:
    """Remove the images of engine (docker or podman) whose names start with prefix;
    Podman's local names may start with `localhost/`."""
    if shutil.which(engine) is None:
        return
    listed = engine_cli(engine, "images", "--format", "{{.Repository}}:{{.Tag}}", check=False)
    local = prefix.removeprefix("localhost/")
    names = [n for n in listed.stdout.split() if n.removeprefix("localhost/").startswith(local)]
    if names:
        engine_cli(engine, "image", "rm", "--force", *names, check=False)
