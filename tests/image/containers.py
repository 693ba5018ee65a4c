"""Thin helpers over the docker CLI for the image tests."""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tarfile
import time
import tomllib
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text()
# The official image the Dockerfile builds on, and its Python version.
DEFAULT_IMAGE = re.search(r"^FROM (python:\S+)", DOCKERFILE, re.MULTILINE).group(1)
DEFAULT_PYTHON = re.search(r"python:(3\.\d+)", DEFAULT_IMAGE).group(1)
# The image the builds here take as their base: PYTHON_IMAGE, as for the dev container
# and compose, or else the default.
PYTHON_IMAGE = os.environ.get("PYTHON_IMAGE") or DEFAULT_IMAGE
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
REQUIRES_PYTHON = SpecifierSet(PYPROJECT["project"]["requires-python"])
# The app's import package, as pyproject.toml declares it: a team renames it.
PACKAGE = PYPROJECT["tool"]["poetry"]["packages"][0]["include"]
# Tools from the lock's host group, installed beside this interpreter by tests/run.
HOST_TOOLS = Path(sys.executable).parent
DEVCONTAINER = ROOT / "node_modules" / ".bin" / "devcontainer"
# The host user's package index logins, which builds take as their `netrc` secret, as
# the dev container's do (.devcontainer/credentials).
HOST_NETRC = Path(os.environ.get("NETRC", Path.home() / ".netrc"))
# Containers that write into a host folder run as the host user, so the files stay theirs.
HOST_USER = f"{os.getuid()}:{os.getgid()}"
# The Dockerfile needs BuildKit (cache mounts); clients that default to it ignore this.
DOCKER_ENV = {**os.environ, "DOCKER_BUILDKIT": "1"}


def supported_pythons() -> list[str]:
    """Every Python version requires-python admits, up to the default image's: "3.11", ..."""
    default_minor = int(DEFAULT_PYTHON.split(".")[1])
    versions = [f"3.{minor}" for minor in range(default_minor + 1)]
    return [version for version in versions if REQUIRES_PYTHON.contains(version)]


def dockerfile_value(name: str) -> str:
    """The value the Dockerfile gives a build argument or environment variable."""
    match = re.search(rf"^(?:ARG|ENV) {name}=(\S*)", DOCKERFILE, re.MULTILINE)
    assert match, f"the Dockerfile sets no {name}"
    return match.group(1)


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
    tag: str, *args: str, context: Path = ROOT, netrc: Path | None = HOST_NETRC
) -> subprocess.CompletedProcess[str]:
    """Build with the mirror setting of this environment and, if there is that file,
    netrc as the `netrc` secret; the output is in stderr."""
    secret = ["--secret", f"id=netrc,src={netrc}"] if netrc and netrc.is_file() else []
    return docker(
        "build", "--progress=plain", "--tag", tag, "--build-arg", "PYTHON_IMAGE",
        "--build-arg", "POETRY_PYPI_MIRROR_URL", *secret, *args, str(context),
        check=False,
    )  # fmt: skip


def built(tag: str, *args: str, context: Path = ROOT, netrc: Path | None = HOST_NETRC) -> str:
    """Build tag (see build) and return it; a failed build fails the test."""
    result = build(tag, *args, context=context, netrc=netrc)
    assert result.returncode == 0, f"building {tag} failed:\n{result.stderr[-4000:]}"
    return tag


def host_tool(name: str) -> str:
    path = HOST_TOOLS / name
    if not path.exists():
        pytest.fail(
            f"{name} not found beside {sys.executable}: tests/run installs it from poetry.lock"
        )
    return str(path)


def openssl(*args: str, stdin: str | None = None) -> str:
    """What the host's openssl prints for args, given stdin."""
    if shutil.which("openssl") is None:
        pytest.fail("openssl not found: install it (Debian and Ubuntu: apt-get install openssl)")
    return subprocess.run(
        ["openssl", *args], input=stdin, capture_output=True, text=True, check=True
    ).stdout


def netrc_word(word: str) -> str:
    """A netrc word that may hold any printable character: in double quotes, with a
    backslash before each quote and backslash, as pip, uv and Poetry read it."""
    return '"' + word.replace("\\", "\\\\").replace('"', '\\"') + '"'


def netrc_line(host: str, login: str, password: str) -> str:
    return f"machine {host} login {netrc_word(login)} password {netrc_word(password)}\n"


def step_output(build_output: str, step: str) -> list[str]:
    """What the build step whose line matches step printed, line by line (plain progress)."""
    number = re.search(rf"^#(\d+) \[.*{step}", build_output, re.M)
    assert number, f"no step {step!r} in:\n{build_output[-4000:]}"
    return re.findall(rf"^#{number.group(1)} \d+\.\d+ (.*)$", build_output, re.M)


def structure_test(image: str, config: str, *args: str) -> subprocess.CompletedProcess[str]:
    """container-structure-test with a config file from tests/image."""
    return subprocess.run(
        [host_tool("container-structure-test"), "test", "--image", image, *args,
         "--config", str(Path(__file__).parent / config)],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip


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
    mounts = ["--volume", f"{netrc}:/tmp/.netrc:ro"] if netrc else []
    result = docker(
        "run", "--rm", "--network", "host", "--user", HOST_USER,
        "--env", "HOME=/tmp", "--env", "POETRY_PYPI_MIRROR_URL", *mounts,
        "--volume", f"{folder}:/work", "--workdir", "/work", image, *command,
    )  # fmt: skip
    return result.stdout


def image_config(image: str) -> dict:
    return json.loads(docker("image", "inspect", image).stdout)[0]["Config"]


def added_layer_files(
    image: str,
    base: str,
    into: Path,
    engine: Callable[..., subprocess.CompletedProcess[str]] = docker,
) -> list[bytes]:
    """The content of every file in the layers that image added on top of base."""
    base_layers = len(json.loads(engine("image", "inspect", base).stdout)[0]["RootFS"]["Layers"])
    archive = into / "image.tar"
    engine("save", "--output", str(archive), image)
    contents = []
    with tarfile.open(archive) as saved:
        layers = json.load(saved.extractfile("manifest.json"))[0]["Layers"][base_layers:]
        for layer in layers:
            with tarfile.open(fileobj=saved.extractfile(layer)) as files:
                contents += [files.extractfile(m).read() for m in files if m.isfile()]
    return contents


def run_python(image: str, code: str) -> str:
    """Run Python code in a new container of image; return what it prints."""
    return docker("run", "--rm", image, "python3", "-c", code).stdout


@dataclass
class Container:
    id: str

    def port(self, inside: int = 8000) -> int:
        """The loopback port that publishes the container's port `inside`."""
        published = docker("port", self.id, f"{inside}/tcp").stdout.split()[0]
        return int(published.rsplit(":", 1)[1])

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port()}{path}"

    def logs(self) -> subprocess.CompletedProcess[str]:
        return docker("logs", self.id)

    def inspect(self) -> dict:
        return json.loads(docker("inspect", self.id).stdout)[0]


class PodmanContainer(Container):
    def port(self, inside: int = 8000) -> int:
        published = podman("port", self.id, f"{inside}/tcp").stdout.split()[0]
        return int(published.rsplit(":", 1)[1])

    def logs(self) -> subprocess.CompletedProcess[str]:
        return podman("logs", self.id)

    def inspect(self) -> dict:
        return json.loads(podman("inspect", self.id).stdout)[0]


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


def http_get(url: str, timeout: float = 5) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 -- loopback URL
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, dict(error.headers), error.read()


def wait_until_serving(container: Container, path: str = "/health", seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if http_get(container.url(path), timeout=1)[0] == 200:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"no 200 on {path} within {seconds} s:\n{container.logs().stdout}")
        time.sleep(0.1)


def wait_for_workers(container: Container, count: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while container.logs().stdout.count("Booting worker") < count:
        if time.monotonic() > deadline:
            raise AssertionError(
                f"{count} workers not booted in {seconds} s:\n{container.logs().stdout}"
            )
        time.sleep(0.1)


def raw_http(port: int, payload: bytes, timeout: float = 5) -> bytes:
    """Send bytes to 127.0.0.1:port as they are; return all that comes back until close."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
        conn.sendall(payload)
        conn.shutdown(socket.SHUT_WR)
        return read_until_closed(conn)


def read_until_closed(conn: socket.socket) -> bytes:
    chunks = []
    while chunk := conn.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def status_of(response: bytes) -> int:
    return int(response.split(b" ", 2)[1])


def body_of(response: bytes) -> bytes:
    return response.split(b"\r\n\r\n", 1)[1]


def copy_project(into: Path) -> Path:
    """The project's files (committed or not, but not ignored) copied into a folder."""
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    for name in files:
        if (ROOT / name).is_file():
            (into / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, into / name)
    return into


@dataclass
class DevContainer:
    """A dev container that the Dev Containers CLI opened on a folder."""

    folder: Path
    label: str
    env: dict[str, str]
    # The engine's command, as VS Code's dev.containers.dockerPath setting names it.
    engine: str = "docker"
    # What `devcontainer up` printed, once it ran.
    opened: subprocess.CompletedProcess[str] | None = None

    def cli(self, command: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(DEVCONTAINER), command, "--workspace-folder", str(self.folder),
             "--id-label", self.label, "--docker-path", self.engine, *args],
            env=self.env, capture_output=True, text=True, timeout=900, check=False,
        )  # fmt: skip

    def up(self) -> subprocess.CompletedProcess[str]:
        """Build and start it, running the host's initializeCommand first."""
        self.opened = self.cli("up")
        return self.opened

    def exec(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run a command in it as its user, the way VS Code's terminal does."""
        return self.cli("exec", *args)

    def engine_cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return (podman if self.engine == "podman" else docker)(*args, check=check)

    @property
    def id(self) -> str:
        return self.engine_cli("ps", "--quiet", "--filter", f"label={self.label}").stdout.strip()


@contextmanager
def dev_container(folder: Path, engine: str = "docker", **env: str) -> Iterator[DevContainer]:
    """Opens folder with the Dev Containers CLI, as VS Code does, on engine (docker or
    podman), with env added to the host environment; the container is always removed."""
    if not DEVCONTAINER.exists():
        pytest.fail(f"{DEVCONTAINER} not found: run `npm ci` in {ROOT} (tests/run does)")
    container = DevContainer(
        folder, f"minimal-py-poetry.test={uuid.uuid4()}", {**DOCKER_ENV, **env}, engine
    )
    try:
        up = container.up()
        assert up.returncode == 0, up.stdout[-2000:] + up.stderr[-4000:]
        yield container
    finally:
        ps = container.engine_cli("ps", "--all", "--quiet", "--filter", f"label={container.label}")
        if ps.stdout.split():
            container.engine_cli("rm", "--force", *ps.stdout.split())


def free_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Compose:
    """docker compose, or the command given, in one project folder, with the app and
    debugger on given ports."""

    folder: Path
    app_port: int
    debug_port: int
    name: str
    command: Sequence[str] = ("docker", "compose")
    env: dict[str, str] = field(default_factory=dict)

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {
            **DOCKER_ENV,
            **self.env,
            "APP_PORT": str(self.app_port),
            "DEBUG_PORT": str(self.debug_port),
            "COMPOSE_PROJECT_NAME": self.name,
        }
        return subprocess.run(
            [*self.command, *args],
            cwd=self.folder, env=env, capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip


def assert_serves_and_reloads_an_edit(compose: Compose, views: Path) -> str:
    """`up` of the app service serves; an edit of views is served without a restart.
    Returns the container's ID."""
    up = compose.run("up", "--detach", "--build", "app")
    assert up.returncode == 0, up.stdout[-2000:] + up.stderr[-4000:]
    container = compose.run("ps", "--quiet", "app").stdout.strip()
    _wait_for_index(compose.app_port, lambda body: body["service"] == "minimal-py-poetry")
    views.write_text(
        views.read_text().replace('"service": "minimal-py-poetry"', '"service": "edited"')
    )
    _wait_for_index(compose.app_port, lambda body: body["service"] == "edited")
    return container


def _wait_for_index(port: int, predicate: Callable[[dict], bool], seconds: float = 60) -> dict:
    """What GET / on the port answers, once predicate holds for it."""
    deadline = time.monotonic() + seconds
    last: dict = {}
    while time.monotonic() < deadline:
        try:
            status, _, body = http_get(f"http://127.0.0.1:{port}/", timeout=2)
            if status == 200:
                last = json.loads(body)
                if predicate(last):
                    return last
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"condition not met within {seconds} s; last answer: {last}")
