"""Debugging with debugpy, driven by a real Debug Adapter Protocol client: the launch
configurations of .vscode/launch.json stop at a breakpoint in a view and go on."""

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from proof.helpers.engine import Compose, Container, running
from proof.helpers.http import http_get
from proof.helpers.project import PACKAGE, ROOT
from proof.helpers.users import HOST_USER
from proof.helpers.waiting import wait_until
from proof.image.dap import DapClient

CONFIGURATIONS = {
    c["name"]: c for c in json.loads((ROOT / ".vscode/launch.json").read_text())["configurations"]
}
VS_CODE_ONLY = {"name", "type", "request", "connect"}


def _arguments(name: str, workspace: str, **overrides: Any) -> dict[str, Any]:
    """A launch.json configuration as VS Code sends it: variables replaced."""
    text = json.dumps({k: v for k, v in CONFIGURATIONS[name].items() if k not in VS_CODE_ONLY})
    return {**json.loads(text.replace("${workspaceFolder}", workspace)), **overrides}


def _health_line(views: Path) -> int:
    lines = views.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("def health"))
    return next(i for i in range(start, len(lines)) if lines[i].strip().startswith("return")) + 1


def _logs(container: Container) -> str:
    result = container.logs()
    return result.stdout + result.stderr


def _ports(container: Container) -> tuple[int, int]:
    """The debugger's and the app's loopback ports, or the logs of a server already gone."""
    try:
        return container.port(5678), container.port()
    except AssertionError as error:
        raise AssertionError(f"{error}\nserver logs:\n{_logs(container)[-4000:]}") from None


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
def _connected(port: int, logs: Callable[[], str], seconds: float = 60) -> Iterator[DapClient]:
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


def _stop_at_health_and_go_on(
    client: DapClient, start: str, arguments: dict, views: str, line: int, app_port: int
) -> None:
    """Start the session, break in health(), check where it stopped, continue, get the 200."""
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
        target=lambda: answers.append(http_get(f"http://127.0.0.1:{app_port}/health", 60)[0])
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


def test_f5_launch_configuration_stops_at_a_breakpoint(dev_image: str, project_copy: Path) -> None:
    workspace = "/workspaces/project"
    # Listening on every interface of the container; published on loopback only.
    adapter = ["python3", "-m", "debugpy.adapter", "--host", "0.0.0.0", "--port", "5678"]  # noqa: S104
    args = ["--volume", f"{project_copy}:{workspace}:ro", "--env", "PYTHONDONTWRITEBYTECODE=1",
            "--publish", "127.0.0.1::5678"]  # fmt: skip
    with running(dev_image, *args, command=adapter) as container:
        dap_port, app_port = _ports(container)
        # VS Code shows the server in its terminal; this client has none.
        arguments = _arguments("Flask: launch", workspace, console="internalConsole")
        with _connected(dap_port, lambda: _logs(container)) as client:
            views = f"{workspace}/{PACKAGE}/views.py"
            line = _health_line(project_copy / PACKAGE / "views.py")
            _stop_at_health_and_go_on(client, "launch", arguments, views, line, app_port)


def test_attach_to_a_server_started_in_the_dev_container(dev_image: str) -> None:
    """The README's debug-server command, and the attach configuration VS Code uses beside it."""
    workspace = f"/workspaces/{ROOT.name}"
    listen, everywhere = "0.0.0.0:5678", "0.0.0.0"  # noqa: S104 -- published on loopback only
    server = ["python", "-m", "debugpy", "--listen", listen, "-m", "flask", "--app", PACKAGE,
              "run", "--host", everywhere, "--port", "8000", "--no-reload"]  # fmt: skip
    # The host user, as after the dev container's UID remap; a read-only checkout.
    args = ["--user", HOST_USER, "--env", "PYTHONDONTWRITEBYTECODE=1",
            "--volume", f"{ROOT}:{workspace}:ro", "--workdir", workspace,
            "--publish", "127.0.0.1::5678"]  # fmt: skip
    with running(dev_image, *args, command=server) as container:
        dap_port, app_port = _ports(container)
        # VS Code runs in the server's container: it names files by their paths there.
        arguments = _arguments("Attach: server in this container (5678)", workspace)
        with _connected(dap_port, lambda: _logs(container)) as client:
            views = f"{workspace}/{PACKAGE}/views.py"
            line = _health_line(ROOT / PACKAGE / "views.py")
            _stop_at_health_and_go_on(client, "attach", arguments, views, line, app_port)


def test_attach_to_the_compose_debug_server(compose: Compose) -> None:
    up = compose.run("--profile", "debug", "up", "--detach", "--build", "debug")
    assert up.returncode == 0, up.stderr[-4000:]
    arguments = _arguments("Attach: compose debug server (5678)", str(compose.folder))

    def logs() -> str:
        return compose.run("--profile", "debug", "logs", "debug").stdout

    with _connected(compose.debug_port, logs) as client:
        views = compose.folder / PACKAGE / "views.py"
        line = _health_line(views)
        _stop_at_health_and_go_on(client, "attach", arguments, str(views), line, compose.app_port)
