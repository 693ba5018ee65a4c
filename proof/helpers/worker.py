"""A Celery worker beside a web app in a copy, as README's "Add a service" adds one: the
team's worker command, tasks submitted through the web app's forms and their results read
back through it, and prod's web and worker run from one image beside a broker under
deploy/kubernetes' settings."""

import json
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from proof.helpers.containers import Container, running
from proof.helpers.engine import docker
from proof.helpers.http import http_get, http_post_form
from proof.helpers.project import WORKER_MANIFEST, deployment, readme_block, readme_jsonc
from proof.helpers.restricted import OPENSHIFT_USER, manifest_docker_args
from proof.helpers.snippets import load_snippet
from proof.helpers.waiting import wait_until

# The console script README has a team declare, and the function it names, as a team
# writes it beside its Celery app.
SCRIPT = "worker"
FUNCTION = '''

def worker() -> None:
    """The worker's command, which pyproject.toml's [project.scripts] names."""
    celery_app.worker_main(["worker", *sys.argv[1:]])
'''


def add_worker_command(copy: Path, module: str) -> None:
    """The worker's console script, for a Celery app made in module (at the copy's root)."""
    source = copy / f"{module}.py"
    source.write_text("import sys\n\n" + source.read_text() + FUNCTION)
    pyproject = copy / "pyproject.toml"
    declared = f'[project.scripts]\n{SCRIPT} = "{module}:worker"\n\n[tool.poetry]\n'
    pyproject.write_text(pyproject.read_text().replace("[tool.poetry]\n", declared, 1))


def rename_module(copy: Path, old: str, new: str) -> None:
    """The Celery app's module renamed, and the worker's command with it: the module is
    named in pyproject.toml's packages (as any module at the root) and its scripts."""
    (copy / f"{old}.py").rename(copy / f"{new}.py")
    pyproject = copy / "pyproject.toml"
    text, count = re.subn(rf'"{old}(\.py"|:)', rf'"{new}\1', pyproject.read_text())
    assert count == 2, f"pyproject.toml should name {old} in packages and scripts: {count}"
    pyproject.write_text(text)


def broker_image() -> str:
    """The broker's image, from README's compose lines for it."""
    services = load_snippet(readme_block("worker-compose"))["services"]
    return next(s["image"] for s in services.values() if str(s.get("image")).startswith("redis"))


def _broker_settings() -> dict[str, str]:
    """The broker's settings README's devcontainer.json lines give the dev container."""
    return readme_jsonc("worker-devcontainer")[0]["containerEnv"]


def broker_env() -> list[str]:
    """docker run options for the broker's settings, as the dev container gets them."""
    env = _broker_settings()
    return [option for name, value in env.items() for option in ("--env", f"{name}={value}")]


def broker_url() -> str:
    """The broker's URL in those settings."""
    return next(value for name, value in _broker_settings().items() if "broker" in name)


def submit(port: int, task: str, **fields: str) -> str:
    """A task submitted through the web app's form; its result's id."""
    status, _, body = http_post_form(f"http://127.0.0.1:{port}/tasks/{task}", fields, 10)
    assert status == 200, body[:3000]
    return json.loads(body)["result_id"]


def result(port: int, task_id: str) -> dict:
    status, _, body = http_get(f"http://127.0.0.1:{port}/tasks/result/{task_id}", 10)
    assert status == 200, body[:3000]
    return json.loads(body)


def finished(port: int, task_id: str, seconds: float = 60) -> dict:
    """The task's result once the web app reports it ready."""
    return wait_until(lambda: result(port, task_id), lambda r: r["ready"], "a result", seconds)


def worker_container() -> dict:
    return deployment(WORKER_MANIFEST)[1]


@dataclass
class Stack:
    """Prod's web and worker from one image, and the broker, on a network of their own."""

    network: str
    broker: str
    web: Container
    worker: Container

    def broker_holds(self) -> int:
        """The messages the broker holds: queued, and taken but not acknowledged."""
        counts = [
            docker("exec", self.broker, "redis-cli", *command).stdout.strip()
            for command in (["LLEN", "celery"], ["HLEN", "unacked"])
        ]
        return sum(int(count or 0) for count in counts)


@contextmanager
def prod_stack(image: str, with_broker: bool = True) -> Iterator[Stack]:
    """The broker (unless told not to), then web and worker as deploy/kubernetes runs
    them (the worker as any UID in group 0, its manifest's command)."""
    network = f"minimal-py-poetry-test-{uuid.uuid4().hex[:12]}"
    docker("network", "create", network)
    broker = ""
    try:
        if with_broker:
            broker = docker(
                "run", "--detach", "--network", network, "--network-alias", "redis",
                broker_image(),
            ).stdout.strip()  # fmt: skip
        common = ["--network", network, *broker_env()]
        # The image's HEALTHCHECK asks the web's /health: a worker has none to answer.
        worker_args = [*manifest_docker_args(OPENSHIFT_USER, WORKER_MANIFEST), *common,
                       "--hostname", "worker-0", "--no-healthcheck"]  # fmt: skip
        with (
            running(image, *manifest_docker_args(), *common) as web,
            running(image, *worker_args, command=worker_container()["command"]) as worker,
        ):
            yield Stack(network, broker, web, worker)
    finally:
        if broker:
            docker("rm", "--force", broker, check=False)
        docker("network", "rm", network, check=False)


def worker_ready(worker: Container, seconds: float = 60) -> str:
    """The worker's stdout once it says it is ready for tasks."""
    try:
        return wait_until(
            lambda: worker.logs().stdout, lambda logs: " ready." in logs, "a ready worker", seconds
        )
    except AssertionError as error:
        logs = worker.logs()
        raise AssertionError(f"{error}\n{logs.stdout[-3000:]}{logs.stderr[-3000:]}") from None
