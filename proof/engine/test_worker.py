"""A worker beside the web app, as README's "Add a service" adds one, shown with Flask's own
Celery example (downloaded at test time) brought into a copy by README's steps: the copy's
test command passes; the dev container reaches the broker by name; a task submitted
through the web app's form runs in the worker, in compose and in prod (web and worker from
one image, two commands); F5 stops in a task; prod's worker keeps the web's rules,
finishes or hands back its task on SIGTERM, says so when its broker is away, and fails its
liveness check when stuck; renaming the Celery app's module changes the worker's command
in one place."""

import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from proof.helpers.brought import App, adopt, bring, serve_it
from proof.helpers.compose import Compose, compose_project
from proof.helpers.copies import copier_copy, git
from proof.helpers.debugging import f5_stops_in_task
from proof.helpers.devcontainer import dev_container
from proof.helpers.engine import TEST_IMAGE, built, docker
from proof.helpers.http import http_get
from proof.helpers.project import WORKER_MANIFEST, add_readme_service, deployment
from proof.helpers.restricted import OPENSHIFT_USER
from proof.helpers.shell import run_test_command
from proof.helpers.waiting import wait_until
from proof.helpers.worker import (
    add_worker_command,
    broker_env,
    broker_url,
    finished,
    prod_stack,
    rename_module,
    result,
    submit,
    worker_container,
    worker_ready,
)

pytestmark = pytest.mark.apps

CELERY = App(
    "celery", "task_app", "src/task_app", modules=["make_celery.py"],
    dependencies="requirements.txt",
    health=("src/task_app/__init__.py", "    celery_init_app(app)"),
    pages={"/": "text/html"},
)  # fmt: skip
# The example's module that makes its Celery app, which `celery -A` names.
MODULE = "make_celery"
# Run in the dev container: the broker the app's settings name, connected to.
REACH_BROKER = (
    "from {module} import celery_app; connection = celery_app.connection_for_write(); "
    "connection.ensure_connection(max_retries=3); print(connection.hostname)"
)


@pytest.fixture(scope="module")
def worked(examples: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Compose]:
    """A copy with the example brought in and README's worker and broker added, adopted in
    its dev container (which starts the broker); its compose project, taken down after."""
    app = CELERY
    copy = copier_copy(tmp_path_factory.mktemp(app.example), app.project, package_name=app.package)
    bring(app, examples, copy)
    serve_it(app, copy)
    add_worker_command(copy, MODULE)
    add_readme_service(copy, service="worker")
    # The project the dev container's initializeCommand starts: the folder's name.
    with compose_project(copy, copy.name) as compose:
        adopt(app, copy)
        yield compose


@pytest.fixture(scope="module")
def prod_image(worked: Compose) -> Iterator[str]:
    tag = built(f"{TEST_IMAGE}:worker", "--target", "prod", context=worked.folder)
    yield tag
    docker("image", "rm", "--force", tag, check=False)


def test_copy_passes_its_test_command(worked: Compose) -> None:
    done = run_test_command(worked.folder)
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-3000:]


def test_the_dev_container_reaches_the_broker_by_name(worked: Compose) -> None:
    with dev_container(worked.folder) as container:
        done = container.exec("python3", "-c", REACH_BROKER.format(module=MODULE))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert done.stdout.strip() == urlsplit(broker_url()).hostname, done.stdout


def test_compose_runs_a_task_submitted_through_the_form(worked: Compose) -> None:
    up = worked.run("up", "--detach", "--wait", "app", "worker")
    assert up.returncode == 0, up.stdout[-3000:] + up.stderr[-3000:]
    try:
        wait_until(
            lambda: http_get(f"http://127.0.0.1:{worked.app_port}/health", 2)[0],
            lambda status: status == 200, "the dev server", 120,
        )  # fmt: skip
        answer = finished(worked.app_port, submit(worked.app_port, "add", a="2", b="3"))
        assert (answer["successful"], answer["value"]) == (True, 5), answer
    finally:
        logs = worked.run("logs", "worker").stdout
        worked.run("stop", "--timeout", "10", "app", "worker")
    assert "succeeded" in logs, logs[-3000:]


def test_prod_runs_web_and_worker_from_one_image_under_the_manifests(prod_image: str) -> None:
    with prod_stack(prod_image) as stack:
        worker_ready(stack.worker)
        answer = finished(stack.web.port(), submit(stack.web.port(), "add", a="40", b="2"))
        assert (answer["successful"], answer["value"]) == (True, 42), answer
        assert http_get(stack.web.url("/"), 5)[0] == 200
        assert stack.worker.exec("id", "-u").stdout.strip() == OPENSHIFT_USER.split(":")[0]
        special = stack.worker.exec("find", "/", "-xdev", "-type", "f", "-perm", "/6000")
        assert special.stdout == "", f"setuid or setgid files in prod:\n{special.stdout}"
        logs = wait_until(stack.worker.logs, lambda done: "succeeded" in done.stdout, "a log", 30)
        assert "Traceback" not in logs.stdout + logs.stderr, logs.stdout + logs.stderr


def test_sigterm_during_a_task_finishes_it_or_hands_it_back(prod_image: str) -> None:
    pod = deployment(WORKER_MANIFEST)[0]
    grace = pod["terminationGracePeriodSeconds"]
    with prod_stack(prod_image) as stack:
        worker_ready(stack.worker)
        port = stack.web.port()
        task = submit(port, "process", total="3")
        wait_until(lambda: result(port, task)["value"], bool, "the task to start", 60)
        docker("stop", "--time", str(grace), stack.worker.id)
        state = stack.worker.inspect()["State"]
        answer = result(port, task)
        held = stack.broker_holds()
        logs = stack.worker.logs().stdout
    assert state["ExitCode"] != 137, f"killed after the grace period:\n{logs[-3000:]}"
    finished_it = answer["ready"] and answer["value"] == {"current": 3, "total": 3}
    assert finished_it or held, f"the task is lost: {answer}, broker holds {held}\n{logs[-3000:]}"


def test_a_worker_whose_broker_is_down_says_so_and_retries(prod_image: str) -> None:
    with prod_stack(prod_image, with_broker=False) as stack:
        logs = wait_until(
            lambda: stack.worker.logs(), lambda done: "Trying again" in done.stdout,
            "the worker to say it retries", 60,
        )  # fmt: skip
        assert "Cannot connect to redis://" in logs.stdout, logs.stdout[-3000:]
        assert stack.worker.inspect()["State"]["Running"], logs.stdout[-3000:]


def test_the_liveness_check_fails_a_stuck_worker(prod_image: str) -> None:
    probe = worker_container()["livenessProbe"]["exec"]["command"]
    with prod_stack(prod_image) as stack:
        worker_ready(stack.worker)
        alive = stack.worker.exec(*probe)
        assert alive.returncode == 0, alive.stdout + alive.stderr
        # A paused worker is stuck; the probe runs beside it under its name.
        docker("pause", stack.worker.id)
        try:
            stuck = docker(
                "run", "--rm", "--network", stack.network, "--hostname", "worker-0",
                *broker_env(), prod_image, *probe, check=False,
            )  # fmt: skip
        finally:
            docker("unpause", stack.worker.id)
    assert stuck.returncode != 0, stuck.stdout + stuck.stderr


def test_renaming_the_celery_module_changes_the_worker_command_in_one_place(
    worked: Compose, tmp_path: Path
) -> None:
    copy = tmp_path / "renamed"
    subprocess.run(["git", "clone", "--quiet", str(worked.folder), str(copy)], check=True)
    rename_module(copy, MODULE, "tasks_main")
    changed = git(copy, "status", "--porcelain", "--untracked-files=all").split("\n")
    assert sorted(line[3:] for line in changed if line) == [
        f"{MODULE}.py",
        "pyproject.toml",
        "tasks_main.py",
    ], changed
    tag = built(f"{TEST_IMAGE}:worker-renamed", "--target", "prod", context=copy)
    try:
        with prod_stack(tag) as stack:
            worker_ready(stack.worker)
            answer = finished(stack.web.port(), submit(stack.web.port(), "add", a="1", b="1"))
            assert answer["value"] == 2, answer
    finally:
        docker("image", "rm", "--force", tag, check=False)


def test_f5_stops_in_a_task_in_the_dev_container(worked: Compose) -> None:
    copy = worked.folder
    network = yaml.safe_load((copy / "compose.yaml").read_text())["networks"]["default"]["name"]
    # The broker the dev container's initializeCommand starts; no other worker beside it.
    up = worked.run("up", "--detach", "--wait", "redis")
    assert up.returncode == 0, up.stdout[-3000:] + up.stderr[-3000:]
    worked.run("stop", "worker")
    tag = built(f"{TEST_IMAGE}:worker-dev", "--target", "dev", context=copy)
    try:
        f5_stops_in_task(
            tag, copy, MODULE, "src/task_app/tasks.py", "add",
            ["--network", network, *broker_env(), "--env", "POETRY_PYPI_MIRROR_URL"],
        )  # fmt: skip
    finally:
        docker("image", "rm", "--force", tag, check=False)
