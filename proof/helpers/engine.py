"""The engines and what runs on them: docker and podman calls, builds, containers,
dev containers opened by the Dev Containers CLI, and compose projects."""

import json
import os
import re
import shutil
import subprocess
import tarfile
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from proof.helpers.http import http_get
from proof.helpers.project import PROOF, ROOT, blueprint_of, host_tool, readme_command
from proof.helpers.users import HOST_NETRC, HOST_USER
from proof.helpers.waiting import wait_until

# The Dockerfile needs BuildKit (cache mounts); clients that default to it ignore this.
DOCKER_ENV = {**os.environ, "DOCKER_BUILDKIT": "1"}


def devcontainer_cli() -> str:
    """The Dev Containers CLI at the version package-lock.json pins."""
    found = ROOT / "node_modules" / ".bin" / "devcontainer"
    if not found.exists():
        pytest.fail(f"{found} not found: run `npm ci` in {ROOT} (proof/run does)")
    return str(found)


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


def run_in(
    folder: Path, command: str, timeout: float, **env: str
) -> subprocess.CompletedProcess[str]:
    """A bash command in folder, with the engine's environment and env; a failure is
    returned."""
    return subprocess.run(
        ["bash", "-c", command], cwd=folder, env={**DOCKER_ENV, **env},
        capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip


def run_test_command(folder: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """README's test command, in a copy of the project, with env added."""
    return run_in(folder, readme_command(r"tests/run\b").string, timeout=1500, **env)


def failed_phase(result: subprocess.CompletedProcess[str]) -> str:
    """What a failed test command printed in the phase it failed in, from its start (a
    lint hook's name comes first, and a long diff after it), and its last errors."""
    lines = result.stdout.splitlines()
    started = [i for i, line in enumerate(lines) if re.fullmatch(r"=== [^:]+", line)]
    phase = "\n".join(lines[started[-1] :] if started else lines)
    head = phase if len(phase) <= 6000 else phase[:4000] + "\n[...]\n" + phase[-2000:]
    return head + "\n" + result.stderr[-3000:]


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


def step_output(build_output: str, step: str) -> list[str]:
    """What the build step whose line matches step printed, line by line (plain progress)."""
    number = re.search(rf"^#(\d+) \[.*{step}", build_output, re.M)
    assert number, f"no step {step!r} in:\n{build_output[-4000:]}"
    return re.findall(rf"^#{number.group(1)} \d+\.\d+ (.*)$", build_output, re.M)


def build_steps(build_log: str) -> dict[str, tuple[str, str, bool]]:
    """Each step of a BuildKit plain-progress log, by number: its stage (with its
    position, "build 2/2"), its instruction, and whether it came from a cache. Lines may
    start with a time in brackets, as the Dev Containers CLI prints them."""
    line = r"^(?:\[[^\]]+\] )?#(\d+) "
    titles = re.findall(line + r"\[([^\]]*)\] (.*)$", build_log, re.MULTILINE)
    cached = set(re.findall(line + "CACHED$", build_log, re.MULTILINE))
    return {number: (stage, step, number in cached) for number, stage, step in titles}


def structure_test(image: str, config: str, *args: str) -> subprocess.CompletedProcess[str]:
    """container-structure-test with a config file from proof/image."""
    return subprocess.run(
        [host_tool("container-structure-test"), "test", "--image", image, *args,
         "--config", str(PROOF / "image" / config)],
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


def image_config(image: str) -> dict:
    return json.loads(docker("image", "inspect", image).stdout)[0]["Config"]


def _added_layers(
    image: str, base: str, into: Path, engine: Callable[..., subprocess.CompletedProcess[str]]
) -> Iterator[tarfile.TarFile]:
    """Each layer that image added on top of base, as an open archive."""
    base_layers = len(json.loads(engine("image", "inspect", base).stdout)[0]["RootFS"]["Layers"])
    archive = into / "image.tar"
    engine("save", "--output", str(archive), image)
    with tarfile.open(archive) as saved:
        layers = json.load(saved.extractfile("manifest.json"))[0]["Layers"][base_layers:]
        for layer in layers:
            with tarfile.open(fileobj=saved.extractfile(layer)) as files:
                yield files


def added_layer_files(
    image: str,
    base: str,
    into: Path,
    engine: Callable[..., subprocess.CompletedProcess[str]] = docker,
) -> list[bytes]:
    """The content of every file in the layers that image added on top of base."""
    return [
        files.extractfile(member).read()
        for files in _added_layers(image, base, into, engine)
        for member in files
        if member.isfile()
    ]


def added_layer_paths(image: str, base: str, into: Path) -> list[str]:
    """The path of every file in the layers that image added on top of base, but the
    markers of files those layers removed."""
    return [
        "/" + member.name.removeprefix("./")
        for files in _added_layers(image, base, into, docker)
        for member in files
        if member.isfile() and not Path(member.name).name.startswith(".wh.")
    ]


# What apt leaves unless a step cleans up: package lists, its caches, downloaded packages.
APT_LEFTOVERS = re.compile(r"^/var/lib/apt/lists/[^/]+$|^/var/cache/apt/.*\.(bin|deb)$")


def apt_leftovers(image: str, base: str, into: Path) -> list[str]:
    """The files of apt's lists and caches in the layers that image added to base."""
    return [path for path in added_layer_paths(image, base, into) if APT_LEFTOVERS.match(path)]


def run_python(image: str, code: str) -> str:
    """Run Python code in a new container of image; return what it prints."""
    return docker("run", "--rm", image, "python3", "-c", code).stdout


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


def fresh_base_context(folder: Path, base: str) -> Path:
    """folder as a build context for base plus a layer of its own. BuildKit keys a base
    by its layers, not its config, so no engine has a cached step built on the result:
    each is built anew or taken from a cache it is given."""
    (folder / "nonce").write_text(str(uuid.uuid4()))
    (folder / "Dockerfile").write_text(f"FROM {base}\nCOPY nonce /etc/fresh-base\n")
    return folder


def set_cache_from(project: Path, name: str | None) -> None:
    """Names name as build.cacheFrom in project's devcontainer.json, as README tells a
    team to; None leaves no cache to read."""
    path = project / ".devcontainer" / "devcontainer.json"
    config = json.loads(path.read_text())
    config["build"].pop("cacheFrom", None)
    if name:
        config["build"]["cacheFrom"] = name
    path.write_text(json.dumps(config, indent=2))


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
            [devcontainer_cli(), command, "--workspace-folder", str(self.folder),
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
        return engine_cli(self.engine, *args, check=check)

    @property
    def id(self) -> str:
        return self.engine_cli("ps", "--quiet", "--filter", f"label={self.label}").stdout.strip()


@contextmanager
def dev_container(folder: Path, engine: str = "docker", **env: str) -> Iterator[DevContainer]:
    """Opens folder with the Dev Containers CLI, as VS Code does, on engine (docker or
    podman), with env added to the host environment; the container is always removed,
    and so are its images unless folder is the project itself."""
    container = DevContainer(
        folder, f"minimal-py-poetry.test={uuid.uuid4()}", {**DOCKER_ENV, **env}, engine
    )
    try:
        up = container.up()
        assert up.returncode == 0, up.stdout[-2000:] + up.stderr[-4000:]
        yield container
    finally:
        ids = container.engine_cli(
            "ps", "--all", "--quiet", "--filter", f"label={container.label}"
        ).stdout.split()
        if ids:
            inspect = container.engine_cli(
                "inspect", "--format", "{{.Config.Image}}", *ids, check=False
            )
            container.engine_cli("rm", "--force", *ids)
            if folder != ROOT:
                # Named after the folder, a copy of the test's own: `vsc-NAME-HASH` and,
                # with the user's UID, `vsc-NAME-HASH-uid`.
                for image in inspect.stdout.split():
                    remove_images(engine, image.split(":")[0].removesuffix("-uid"))


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

    def down(self) -> None:
        """Every service taken down with its volumes and local images; every profile, as
        a plain `down` leaves running the services of inactive ones (the debug server)."""
        self.run(
            "--profile", "*",
            "down", "--volumes", "--remove-orphans", "--rmi", "local", "--timeout", "1",
        )  # fmt: skip


def assert_serves_and_reloads_an_edit(compose: Compose, views: Path) -> str:
    """`up` of the app service serves; a route added to views (the module that defines
    a Blueprint) is served without a restart. Returns the container's ID."""
    up = compose.run("up", "--detach", "--build", "app")
    assert up.returncode == 0, up.stdout[-2000:] + up.stderr[-4000:]
    container = compose.run("ps", "--quiet", "app").stdout.strip()
    _wait_for_answer(compose.app_port, "/health", lambda body: body == {"status": "ok"})
    blueprint = blueprint_of(views)
    probe = uuid.uuid4().hex
    with views.open("a") as source:
        source.write(f'\n\n@{blueprint}.get("/reload-probe")\ndef reload_probe():\n')
        source.write(f'    return {{"probe": "{probe}"}}\n')
    _wait_for_answer(compose.app_port, "/reload-probe", lambda body: body == {"probe": probe})
    return container


def _wait_for_answer(port: int, path: str, expected: Callable[[dict], bool]) -> dict:
    """What GET path on the port answers, once it is as expected."""

    def answer() -> dict:
        status, _, body = http_get(f"http://127.0.0.1:{port}{path}", timeout=2)
        return json.loads(body) if status == 200 else {"status": status}

    return wait_until(answer, expected, f"GET {path} to answer as expected", 60)
