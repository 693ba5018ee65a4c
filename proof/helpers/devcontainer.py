"""Dev containers as VS Code opens them, through the Dev Containers CLI, on docker or
Podman, and the build cache a team names in devcontainer.json."""

import json
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from proof.helpers.engine import DOCKER_ENV, engine_cli, remove_images
from proof.helpers.project import ROOT


def devcontainer_cli() -> str:
    """The Dev Containers CLI at the version package-lock.json pins."""
    found = ROOT / "node_modules" / ".bin" / "devcontainer"
    if not found.exists():
        pytest.fail(f"{found} not found: run `npm ci` in {ROOT} (proof/run does)")
    return str(found)


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
