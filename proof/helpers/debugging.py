"""Debug sessions as VS Code starts them from .vscode/launch.json, driven by a real Debug
Adapter Protocol client: each stops at a breakpoint in a route and goes on."""

import json
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from proof.helpers.containers import Container, running
from proof.helpers.dap import DapClient
from proof.helpers.http import http_get
from proof.helpers.project import PACKAGE, ROOT
from proof.helpers.waiting import wait_until

CONFIGURATIONS = {
    c["name"]: c for c in json.loads((ROOT / ".vscode/launch.json").read_text())["configurations"]
}
VS_CODE_ONLY = {"name", "type", "request", "connect"}


def arguments_of(name: str, workspace: str, **overrides: Any) -> dict[str, Any]:
    """A launch.json configuration as VS Code sends it: variables replaced."""
    text = json.dumps({k: v for k, v in CONFIGURATIONS[name].items() if k not in VS_CODE_ONLY})
    return {**json.loads(text.replace("${workspaceFolder}", workspace)), **overrides}


def return_line(views: Path, function: str) -> int:
    """The line of the first `return` in the function of views named function."""
    lines = views.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"def {function}("))
    return next(i for i in range(start, len(lines)) if lines[i].strip().startswith("return")) + 1


def logs_of(container: Container) -> str:
    result = container.logs()
    return result.stdout + result.stderr


def ports(container: Container) -> tuple[int, int]:
    """The debugger's and the app's loopback ports, or the logs of a server already gone."""
    try:
        return container.port(5678), container.port()
    except AssertionError as error:
        raise AssertionError(f"{error}\nserver logs:\n{logs_of(container)[-4000:]}") from None


def _initialized(port: int) -> DapClient:
    """A session on port, initialized; closed again if debugpy does not answer yet."""
    client = DapClient("127.0.0.1", port)
    try:
        client.request("initialize", adapterID="debugpy", clientID="tests",
                       pathFormat="path", linesStartAt1=True, columnsStartAt1=True)  # fmt: skip
    except OSError:
        client.close()
        raise
    return client


@contextmanager
def connected(port: int, logs: Callable[[], str], seconds: float = 60) -> Iterator[DapClient]:
    """An initialized session; retried while the published port answers before debugpy does.
    On failure the server's logs say why (debugpy missing, the app failing to import)."""
    try:
        client = wait_until(lambda: _initialized(port), bool, "a debug adapter", seconds)
    except AssertionError as error:
        raise AssertionError(f"{error}\nserver logs:\n{logs()[-4000:]}") from None
    try:
        yield client
    finally:
        client.close()


def stop_and_go_on(
    client: DapClient,
    start: str,
    arguments: dict,
    views: str,
    line: int,
    app_port: int,
    path: str = "/health",
) -> None:
    """Start the session, break at line of views while GET path waits, check where it
    stopped, continue, get the 200."""
    started = client.send(start, **arguments)
    client.event("initialized")
    placed = client.request("setBreakpoints", source={"path": views}, breakpoints=[{"line": line}])
    assert placed["breakpoints"][0]["verified"], placed
    client.request("configurationDone")
    client.response(started)

    answers: list[int] = []
    wait_until(
        lambda: http_get(f"http://127.0.0.1:{app_port}/", timeout=2)[0], bool,
        "the app to answer", 60,
    )  # fmt: skip
    request = threading.Thread(
        target=lambda: answers.append(http_get(f"http://127.0.0.1:{app_port}{path}", 60)[0])
    )
    request.start()
    stopped = client.event("stopped")
    assert stopped["reason"] == "breakpoint"
    frame = client.request("stackTrace", threadId=stopped["threadId"], levels=1)["stackFrames"][0]
    assert (frame["source"]["path"], frame["line"]) == (views, line)
    assert answers == [], "the request was answered while stopped at the breakpoint"
    client.request("continue", threadId=stopped["threadId"])
    request.join(timeout=60)
    assert answers == [200]


def f5_stops_in(
    dev_image: str, project: Path, function: str, path: str, docker_args: Sequence[str] = ()
) -> None:
    """F5's configuration, in a container of dev_image on project, stops in the route
    function of the views while GET path waits, and goes on."""
    workspace = "/workspaces/project"
    # Listening on every interface of the container; published on loopback only.
    adapter = ["python3", "-m", "debugpy.adapter", "--host", "0.0.0.0", "--port", "5678"]  # noqa: S104
    args = ["--volume", f"{project}:{workspace}:ro", "--env", "PYTHONDONTWRITEBYTECODE=1",
            "--publish", "127.0.0.1::5678", *docker_args]  # fmt: skip
    with running(dev_image, *args, command=adapter) as container:
        dap_port, app_port = ports(container)
        # VS Code shows the server in its terminal; this client has none.
        arguments = arguments_of("Flask: launch", workspace, console="internalConsole")
        with connected(dap_port, lambda: logs_of(container)) as client:
            views = f"{workspace}/{PACKAGE}/views.py"
            line = return_line(project / PACKAGE / "views.py", function)
            stop_and_go_on(client, "launch", arguments, views, line, app_port, path)


# Run in the dev container: a task sent to the worker, and the result it gave.
SEND_TASK = "from {module} import celery_app; print(celery_app.send_task({task!r}, (2, 3)).id)"
TASK_RESULT = "from {module} import celery_app; print(celery_app.AsyncResult({id!r}).get(30))"


def f5_stops_in_task(
    dev_image: str,
    project: Path,
    module: str,
    tasks: str,
    function: str,
    docker_args: Sequence[str],
) -> None:
    """The worker's launch configuration, in a container of dev_image on project (started
    as the dev container starts, the venv synced first), stops in the task function of the
    tasks file when a task is sent, and goes on to its result."""
    workspace = "/workspaces/project"
    adapter = [".devcontainer/sync-venv", "python3", "-m", "debugpy.adapter",
               "--host", "0.0.0.0", "--port", "5678"]  # fmt: skip  # noqa: S104
    args = ["--volume", f"{project}:{workspace}:ro", "--workdir", workspace, "--env",
            "PYTHONDONTWRITEBYTECODE=1", "--publish", "127.0.0.1::5678", *docker_args]  # fmt: skip
    with running(dev_image, *args, command=adapter) as container:
        arguments = arguments_of("Worker: launch", workspace, console="internalConsole")
        with connected(container.port(5678), lambda: logs_of(container), 180) as client:
            started = client.send("launch", **arguments)
            client.event("initialized")
            path, line = f"{workspace}/{tasks}", return_line(project / tasks, function)
            placed = client.request(
                "setBreakpoints", source={"path": path}, breakpoints=[{"line": line}]
            )
            assert placed["breakpoints"][0]["verified"], placed
            client.request("configurationDone")
            client.response(started)
            name = f"{Path(tasks).parent.name}.{Path(tasks).stem}.{function}"
            sent = container.exec("python3", "-c", SEND_TASK.format(module=module, task=name))
            assert sent.returncode == 0, sent.stdout + sent.stderr
            stopped = client.event("stopped")
            trace = client.request("stackTrace", threadId=stopped["threadId"], levels=1)
            frame = trace["stackFrames"][0]
            assert (frame["source"]["path"], frame["line"]) == (path, line), frame
            client.request("continue", threadId=stopped["threadId"])
            code = TASK_RESULT.format(module=module, id=sent.stdout.strip())
            got = container.exec("python3", "-c", code)
            assert got.stdout.strip() == "5", got.stdout + got.stderr + logs_of(container)[-3000:]
