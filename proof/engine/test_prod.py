"""The prod image, checked from outside: what it serves, holds and runs as."""

import json

import pytest

from proof.helpers.containers import (
    Container,
    run_python,
    running,
    wait_for_workers,
    wait_until_serving,
)
from proof.helpers.engine import TEST_IMAGE, build, docker
from proof.helpers.http import http_get
from proof.helpers.image_contents import image_config
from proof.helpers.project import DEFAULT_PYTHON, PACKAGE, PYTHON_IMAGE
from proof.helpers.waiting import wait_until


@pytest.mark.floor
def test_serves_health_over_http(prod_server: Container) -> None:
    status, headers, body = http_get(prod_server.url("/health"))
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"status": "ok"}


def test_access_log_is_off_and_one_setting_turns_it_on_to_stdout(prod_server: Container) -> None:
    http_get(prod_server.url("/health"))
    assert "GET /health" not in prod_server.logs().stdout
    with running(prod_server.inspect()["Config"]["Image"],
                 "--env", "GUNICORN_CMD_ARGS=--access-logfile -") as logging:  # fmt: skip
        wait_until_serving(logging)
        http_get(logging.url("/health"))
        logs = logging.logs()
    assert '"GET /health HTTP/1.1" 200' in logs.stdout
    assert "Traceback" not in logs.stdout + logs.stderr


def test_python_is_the_venvs(prod_image: str) -> None:
    """The rest of what prod holds, lacks and runs as: prod-structure.yaml."""
    assert run_python(prod_image, "import sys; print(sys.prefix)").strip() == "/opt/venv"


def test_app_is_an_installed_package(prod_image: str) -> None:
    """Its bytecode: test_restricted.py's read-only start."""
    path = run_python(prod_image, f"import {PACKAGE}; print({PACKAGE}.__file__)").strip()
    assert path.startswith("/opt/venv/lib/") and "/site-packages/" in path


def test_runs_the_python_version_of_the_default_image(prod_image: str) -> None:
    found = run_python(prod_image, "import sys; print('%d.%d' % sys.version_info[:2])").strip()
    assert found == DEFAULT_PYTHON, f"{PYTHON_IMAGE} here has Python {found}"


def test_gunicorn_config_is_valid(prod_image: str) -> None:
    result = docker("run", "--rm", prod_image, "gunicorn", "--check-config", check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_healthcheck_reports_healthy(prod_image: str) -> None:
    assert image_config(prod_image)["Healthcheck"]["Test"][0] == "CMD"
    with running(prod_image, "--health-interval=1s") as container:
        status = wait_until(
            lambda: container.inspect()["State"]["Health"]["Status"],
            lambda status: status != "starting", "the health check's first result",
        )  # fmt: skip
        assert status == "healthy"


def test_plain_build_gives_the_prod_image(prod_image: str) -> None:
    result = build(f"{TEST_IMAGE}:default")
    assert result.returncode == 0, result.stderr[-4000:]
    # Layers and settings: an engine that attests its builds records each build's own
    # arguments, so the images' IDs differ even where their contents do not.
    contents = "{{json .RootFS.Layers}} {{json .Config}}"
    images = {
        docker("image", "inspect", "--format", contents, tag).stdout
        for tag in (prod_image, f"{TEST_IMAGE}:default")
    }
    assert len(images) == 1, "a plain build does not end at the prod stage"


def _workers_started(prod_image: str, expected: int, *docker_args: str) -> int:
    """How many workers gunicorn started, once the expected number have booted."""
    with running(prod_image, *docker_args) as container:
        wait_until_serving(container)
        return wait_for_workers(container, expected)


def test_worker_count_follows_the_cpu_limit(prod_image: str) -> None:
    cpus = int(docker("run", "--rm", prod_image, "nproc").stdout)
    assert _workers_started(prod_image, cpus) == cpus
    assert _workers_started(prod_image, 1, "--cpus", "1") == 1
    assert _workers_started(prod_image, 1, "--cpuset-cpus", "0") == 1


def test_web_concurrency_sets_the_worker_count(prod_image: str) -> None:
    assert _workers_started(prod_image, 1, "--env", "WEB_CONCURRENCY=1") == 1
