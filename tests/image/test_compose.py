"""`docker compose up`: the dev server on a loopback port, reloading edited source."""

import json
import os
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.image.containers import http_get

Compose = Callable[..., subprocess.CompletedProcess[str]]


def _free_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def compose(project_copy: Path) -> Iterator[tuple[Compose, int]]:
    """docker compose in a copy of the project, on a free port; always taken down."""
    port = _free_loopback_port()
    env = {
        **os.environ,
        "APP_PORT": str(port),
        "COMPOSE_PROJECT_NAME": f"mpp-{uuid.uuid4().hex[:8]}",
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["docker", "compose", *args],
            cwd=project_copy, env=env, capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip

    try:
        yield run, port
    finally:
        run("down", "--volumes", "--remove-orphans", "--rmi", "local", "--timeout", "1")


def _wait_for(port: int, predicate: Callable[[dict], bool], seconds: float = 30) -> dict:
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


def test_up_serves_and_reloads_an_edit(compose: tuple[Compose, int], project_copy: Path) -> None:
    run, port = compose
    up = run("up", "--detach", "--build", "app")
    assert up.returncode == 0, up.stderr[-4000:]
    container = run("ps", "--quiet", "app").stdout.strip()
    _wait_for(port, lambda body: body["service"] == "minimal-py-poetry")

    views = project_copy / "app" / "views.py"
    views.write_text(
        views.read_text().replace('"service": "minimal-py-poetry"', '"service": "edited"')
    )
    _wait_for(port, lambda body: body["service"] == "edited")

    assert run("ps", "--quiet", "app").stdout.strip() == container, "the container was restarted"
    assert "Detected change" in run("logs", "app").stdout


def test_publishes_on_loopback_only(compose: tuple[Compose, int]) -> None:
    run, port = compose
    ports = json.loads(run("config", "--format", "json").stdout)["services"]["app"]["ports"]
    assert [(p["host_ip"], p["published"]) for p in ports] == [("127.0.0.1", str(port))]
