"""Debugging with debugpy, driven by a real Debug Adapter Protocol client: the launch
configurations of .vscode/launch.json stop at a breakpoint in a view and go on."""

from pathlib import Path

import pytest

from proof.helpers.compose import Compose
from proof.helpers.containers import running
from proof.helpers.debugging import (
    arguments_of,
    connected,
    f5_stops_in,
    logs_of,
    ports,
    return_line,
    stop_and_go_on,
)
from proof.helpers.project import PACKAGE, ROOT
from proof.helpers.users import HOST_USER

pytestmark = pytest.mark.floor


def test_f5_launch_configuration_stops_at_a_breakpoint(dev_image: str, project_copy: Path) -> None:
    f5_stops_in(dev_image, project_copy, "health", "/health")


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
        dap_port, app_port = ports(container)
        # VS Code runs in the server's container: it names files by their paths there.
        arguments = arguments_of("Attach: server in this container (5678)", workspace)
        with connected(dap_port, lambda: logs_of(container)) as client:
            views = f"{workspace}/{PACKAGE}/views.py"
            line = return_line(ROOT / PACKAGE / "views.py", "health")
            stop_and_go_on(client, "attach", arguments, views, line, app_port)


def test_attach_to_the_compose_debug_server(compose: Compose) -> None:
    up = compose.run("--profile", "debug", "up", "--detach", "--build", "debug")
    assert up.returncode == 0, up.stderr[-4000:]
    arguments = arguments_of("Attach: compose debug server (5678)", str(compose.folder))

    def logs() -> str:
        return compose.run("--profile", "debug", "logs", "debug").stdout

    with connected(compose.debug_port, logs) as client:
        views = compose.folder / PACKAGE / "views.py"
        line = return_line(views, "health")
        stop_and_go_on(client, "attach", arguments, str(views), line, compose.app_port)
