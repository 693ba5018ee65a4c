"""`docker compose up`: the dev server on a loopback port, reloading edited source."""

import json
from pathlib import Path

import pytest

from proof.helpers.compose import Compose, assert_serves_and_reloads_an_edit
from proof.helpers.project import PACKAGE


@pytest.mark.floor
def test_up_serves_and_reloads_an_edit(compose: Compose, project_copy: Path) -> None:
    run = compose.run
    container = assert_serves_and_reloads_an_edit(compose, project_copy / PACKAGE / "views.py")
    assert run("ps", "--quiet", "app").stdout.strip() == container, "the container was restarted"
    assert "Detected change" in run("logs", "app").stdout


def test_publishes_on_loopback_only(compose: Compose) -> None:
    run, port = compose.run, compose.app_port
    ports = json.loads(run("config", "--format", "json").stdout)["services"]["app"]["ports"]
    assert [(p["host_ip"], p["published"]) for p in ports] == [("127.0.0.1", str(port))]
