"""A distribution registry on 127.0.0.1 that asks for a login, as a company's does, and
a Docker engine of the caller's own that starts empty: what the publish tests and the
bench publish to and build on, without touching the user's engine."""

import os
import secrets
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from proof.helpers.engine import DOCKER_ENV
from proof.helpers.http import free_loopback_port, http_get
from proof.helpers.waiting import wait_until

USER = "publisher"
TOOLS = {
    "docker-registry": "Debian: apt-get install docker-registry",
    "htpasswd": "Debian: apt-get install apache2-utils",
    "skopeo": "Debian and Fedora: package skopeo",
}
# Rootless Docker: Debian's docker.io ships the script in contrib; Docker's own packages
# (docker-ce-rootless-extras) put it on PATH.
ROOTLESS_SCRIPTS = ("dockerd-rootless.sh", "/usr/share/docker.io/contrib/dockerd-rootless.sh")


@dataclass
class Registry:
    host: str
    password: str
    # A Docker client configuration folder holding the engine's login to it.
    config: Path

    @property
    def env(self) -> dict[str, str]:
        return {**DOCKER_ENV, "DOCKER_CONFIG": str(self.config)}

    @property
    def auth_file(self) -> str:
        return str(self.config / "config.json")

    def run(self, *command: str, **env: str) -> subprocess.CompletedProcess[str]:
        """command with the login in its environment, and env added; output captured."""
        return subprocess.run(
            command, env={**self.env, **env}, capture_output=True, text=True,
            timeout=1800, check=False,
        )  # fmt: skip


def _require(tools: dict[str, str]) -> None:
    for tool, how in tools.items():
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} not found: install it ({how})")


@contextmanager
def serving_registry(folder: Path) -> Iterator[Registry]:
    """A registry serving from folder, with one user whose login the engine holds."""
    _require(TOOLS)
    password = secrets.token_hex(16)
    htpasswd = subprocess.run(
        ["htpasswd", "-Bbn", USER, password], capture_output=True, text=True, check=True
    ).stdout
    (folder / "htpasswd").write_text(htpasswd)
    host = f"127.0.0.1:{free_loopback_port()}"
    (folder / "config.yml").write_text(
        "version: 0.1\n"
        f"storage:\n  filesystem:\n    rootdirectory: {folder / 'data'}\n"
        f"http:\n  addr: {host}\n"
        f"auth:\n  htpasswd:\n    realm: test\n    path: {folder / 'htpasswd'}\n"
    )
    log_path = folder / "registry.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            ["docker-registry", "serve", str(folder / "config.yml")], stdout=log, stderr=log
        )
        try:
            wait_until(
                lambda: http_get(f"http://{host}/v2/", timeout=1)[0],
                lambda status: status == 401 or server.poll() is not None,
                "the registry to ask for a login",
            )
            assert server.poll() is None, f"the registry stopped:\n{log_path.read_text()}"
            found = Registry(host, password, folder / "docker")
            login = subprocess.run(
                ["docker", "login", host, "--username", USER, "--password-stdin"],
                input=password, env=found.env, capture_output=True, text=True, check=False,
            )  # fmt: skip
            assert login.returncode == 0, login.stderr
            yield found
        finally:
            server.terminate()
            server.wait(timeout=10)


@dataclass
class Engine:
    # The environment that points the docker CLI at it.
    env: dict[str, str]

    def load(self, archive: Path) -> None:
        """Images from a `docker save` or OCI archive."""
        loaded = subprocess.run(
            ["docker", "load", "--quiet", "--input", str(archive)],
            env=self.env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert loaded.returncode == 0, f"docker load into the own engine: {loaded.stderr}"


@contextmanager
def own_engine() -> Iterator[Engine]:
    """Rootless Docker with its data in a folder of its own, empty at start: a new
    machine's engine. On exit it stops and its folder goes."""
    script = next(filter(None, map(shutil.which, ROOTLESS_SCRIPTS)), None)
    if script is None or shutil.which("rootlesskit") is None:
        pytest.fail(
            "rootless Docker not found: install rootlesskit and dockerd-rootless.sh "
            "(Debian: packages rootlesskit and docker.io; Docker's own: docker-ce-rootless-extras)"
        )
    # Overlay mounts fail in a user namespace on an overlay filesystem (a container's
    # /tmp, say), and the native snapshotter, which copies each layer, is slow: the
    # engine's data goes to the user's cache folder, on the home's filesystem.
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    cache.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="minimal-py-poetry-engine-", dir=cache))
    env = {**DOCKER_ENV, "DOCKER_HOST": f"unix://{folder}/docker.sock"}
    (folder / "run").mkdir()
    log_path = folder / "dockerd.log"
    # The containerd store holds multi-platform images.
    command = [
        script, "--data-root", f"{folder}/data", "--exec-root", f"{folder}/exec",
        "--pidfile", f"{folder}/dockerd.pid", "--host", env["DOCKER_HOST"],
        "--feature", "containerd-snapshotter=true",
    ]  # fmt: skip
    with log_path.open("w") as log:
        daemon = subprocess.Popen(
            command, env={**os.environ, "XDG_RUNTIME_DIR": f"{folder}/run"},
            stdout=log, stderr=log, start_new_session=True,
        )  # fmt: skip
        try:
            wait_until(
                lambda: subprocess.run(["docker", "info"], env=env, capture_output=True).returncode,
                lambda code: code == 0 or daemon.poll() is not None,
                "rootless dockerd to answer", 60,
            )  # fmt: skip
            assert daemon.poll() is None, f"rootless dockerd stopped:\n{log_path.read_text()}"
            yield Engine(env)
        finally:
            os.killpg(daemon.pid, signal.SIGTERM)
            daemon.wait(timeout=60)
            # Its files belong to the user's subordinate IDs: removed in its namespace.
            subprocess.run(["rootlesskit", "rm", "-rf", str(folder)], check=False)
