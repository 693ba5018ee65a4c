"""Compose projects in a folder: docker compose, or the command README gives, with the
app and debugger on loopback ports, and the dev server's reload of an edit."""

import json
import subprocess
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from proof.helpers.engine import DOCKER_ENV
from proof.helpers.http import free_loopback_port, http_get
from proof.helpers.project import blueprint_of
from proof.helpers.waiting import wait_until


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


@contextmanager
def compose_project(folder: Path, name: str = "") -> Iterator[Compose]:
    """docker compose in folder, the app and debugger on free loopback ports, under the
    project name given or a new one; taken down however the test went."""
    project = Compose(
        folder, free_loopback_port(), free_loopback_port(), name or f"mpp-{uuid.uuid4().hex[:8]}"
    )
    try:
        yield project
    finally:
        project.down()


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
