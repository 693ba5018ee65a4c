"""Containers of the images the tests build: detached ones that serve on a loopback
port, and throwaway ones run for what they print."""

import json
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from proof.helpers.engine import docker, engine_cli
from proof.helpers.http import http_get
from proof.helpers.project import ROOT
from proof.helpers.users import HOST_USER
from proof.helpers.waiting import wait_until


@dataclass
class Container:
    id: str
    # The engine's command: docker, or podman (rootless, as the user running the tests).
    engine: str = "docker"

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return engine_cli(self.engine, *args, check=check)

    def port(self, inside: int = 8000) -> int:
        """The loopback port that publishes the container's port `inside`."""
        published = self.cli("port", self.id, f"{inside}/tcp").stdout.split()[0]
        return int(published.rsplit(":", 1)[1])

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port()}{path}"

    def logs(self) -> subprocess.CompletedProcess[str]:
        return self.cli("logs", self.id)

    def inspect(self) -> dict:
        return json.loads(self.cli("inspect", self.id).stdout)[0]

    def exec(self, *command: str, user: str | None = None) -> subprocess.CompletedProcess[str]:
        """command in the container, as user if given; a failure is returned, not raised."""
        return self.cli("exec", *(["--user", user] if user else []), self.id, *command, check=False)


@contextmanager
def running(image: str, *docker_args: str, command: Sequence[str] = ()) -> Iterator[Container]:
    """A detached container with port 8000 published on a free loopback port."""
    cid = docker(
        "run", "--detach", "--publish", "127.0.0.1::8000", *docker_args, image, *command
    ).stdout.strip()
    try:
        yield Container(cid)
    finally:
        docker("rm", "--force", cid, check=False)


def wait_until_serving(container: Container, path: str = "/health", seconds: float = 30) -> None:
    try:
        wait_until(
            lambda: http_get(container.url(path), timeout=1)[0], lambda status: status == 200,
            f"a 200 on {path}", seconds,
        )  # fmt: skip
    except AssertionError as error:
        raise AssertionError(f"{error}\nlogs:\n{container.logs().stdout[-3000:]}") from None


def wait_for_workers(container: Container, count: int, seconds: float = 30) -> int:
    """Once count workers have booted, how many gunicorn.conf.py tells gunicorn to start
    in this container: a count too low is caught by the wait, one too high by this."""
    wait_until(
        lambda: container.logs().stdout, lambda logs: logs.count("Booting worker") >= count,
        f"{count} workers to boot", seconds,
    )  # fmt: skip
    code = "import runpy; print(runpy.run_path('gunicorn.conf.py')['workers'])"
    configured = container.exec("python3", "-c", code)
    assert configured.returncode == 0, configured.stderr
    return int(configured.stdout)


def run_python(image: str, code: str) -> str:
    """Run Python code in a new container of image; return what it prints."""
    return docker("run", "--rm", image, "python3", "-c", code).stdout


def app_tests(dev_image: str, *docker_args: str) -> subprocess.CompletedProcess[str]:
    """The app tests in a dev container, against the source mounted read-only as the
    dev container mounts it, run as the host user."""
    return docker(
        "run", "--rm", "--user", HOST_USER, *docker_args,
        "--env", "PYTHONDONTWRITEBYTECODE=1",
        "--volume", f"{ROOT}:/workspace:ro", "--workdir", "/workspace",
        dev_image, "pytest", "-p", "no:cacheprovider",
        check=False,
    )  # fmt: skip


def in_dev_image(image: str, folder: Path, *command: str, netrc: Path | None = None) -> str:
    """Run command in a throwaway dev container, as the host user, on the host network,
    with folder as the working directory; return its output."""
    return dev_image_run(image, folder, *command, netrc=netrc).stdout


def dev_image_run(
    image: str, folder: Path, *command: str, netrc: Path | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """in_dev_image's run, whose failure is returned when check is False."""
    mounts = ["--volume", f"{netrc}:/tmp/.netrc:ro"] if netrc else []
    return docker(
        "run", "--rm", "--network", "host", "--user", HOST_USER,
        "--env", "HOME=/tmp", "--env", "POETRY_PYPI_MIRROR_URL", *mounts,
        "--volume", f"{folder}:/work", "--workdir", "/work", image, *command, check=check,
    )  # fmt: skip
