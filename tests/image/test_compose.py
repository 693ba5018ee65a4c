"""`docker compose up`: the dev server on a loopback port, reloading edited source."""

import json
import time
from collections.abc import Callable
from pathlib import Path

from tests.image.containers import PACKAGE, Compose, http_get


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


def test_up_serves_and_reloads_an_edit(compose: Compose, project_copy: Path) -> None:
    run, port = compose.run, compose.app_port
    up = run("up", "--detach", "--build", "app")
    assert up.returncode == 0, up.stderr[-4000:]
    container = run("ps", "--quiet", "app").stdout.strip()
    _wait_for(port, lambda body: body["service"] == "minimal-py-poetry")

    views = project_copy / PACKAGE / "views.py"
    views.write_text(
        views.read_text().replace('"service": "minimal-py-poetry"', '"service": "edited"')
    )
    _wait_for(port, lambda body: body["service"] == "edited")

    assert run("ps", "--quiet", "app").stdout.strip() == container, "the container was restarted"
    assert "Detected change" in run("logs", "app").stdout


def test_publishes_on_loopback_only(compose: Compose) -> None:
    run, port = compose.run, compose.app_port
    ports = json.loads(run("config", "--format", "json").stdout)["services"]["app"]["ports"]
    assert [(p["host_ip"], p["published"]) for p in ports] == [("127.0.0.1", str(port))]
