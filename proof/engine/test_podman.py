"""Rootless Podman, as README sets it up: prod built with its command keeps the
HEALTHCHECK and runs locked down; the Dev Containers CLI opens the dev container with
`--docker-path podman`, README's service beside it; the netrc and CA secrets work in
Podman builds; podman-compose serves the dev server with reload; a reopen brings the
venv to the lock. Run them with `proof/run -m podman`, as a non-root user with a
subordinate ID range."""

import json
import os
import re
import shlex
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from proof.helpers.compose import Compose, assert_serves_and_reloads_an_edit
from proof.helpers.containers import Container, wait_until_serving
from proof.helpers.devcontainer import DevContainer, dev_container
from proof.helpers.engine import TEST_IMAGE, build, podman
from proof.helpers.http import free_loopback_port, http_get
from proof.helpers.image_contents import added_layer_files
from proof.helpers.private_index import MODULE, USER, Index, fresh_lock
from proof.helpers.project import (
    PACKAGE,
    PYTHON_IMAGE,
    add_readme_service,
    readme_command,
    readme_jsonc,
)
from proof.helpers.users import netrc_line
from proof.helpers.waiting import wait_until

pytestmark = pytest.mark.podman
PREFIX = f"{TEST_IMAGE}:podman"


def _readme_command(program: str) -> tuple[dict[str, str], list[str]]:
    """The variables and words of README's command that runs program, as in
    `NAME=value program ...`."""
    found = readme_command("podman", rf"((?:\w+=\S+ )*)({re.escape(program)} .*)$")
    variables = dict(word.split("=", 1) for word in found.group(1).split())
    return variables, shlex.split(found.group(2))


def _readme_build_options() -> list[str]:
    """The options of README's `podman build` command, but its tag and context."""
    _, command = _readme_command("podman build")
    tag_at = command.index("-t")
    return command[2:tag_at] + command[tag_at + 2 : -1]


@pytest.fixture(scope="module")
def prod_image() -> str:
    tag = f"{PREFIX}-prod"
    result = build(tag, *_readme_build_options(), engine="podman")
    assert result.returncode == 0, result.stderr[-4000:]
    return tag


@pytest.fixture
def locked_down(prod_image: str) -> Iterator[Container]:
    """prod as an arbitrary UID, read-only, without capabilities, on a loopback port."""
    cid = podman(
        "run", "--detach", "--user", "4321:0", "--read-only", "--cap-drop", "all",
        "--publish", "127.0.0.1::8000", prod_image,
    ).stdout.strip()  # fmt: skip
    try:
        yield Container(cid, engine="podman")
    finally:
        podman("rm", "--force", cid, check=False)


def test_prod_keeps_its_healthcheck(prod_image: str) -> None:
    config = json.loads(podman("image", "inspect", prod_image).stdout)[0]
    check = config.get("Healthcheck") or config["Config"].get("Healthcheck")
    assert check, "the image has no HEALTHCHECK: was it built in the OCI format?"
    assert "/health" in " ".join(check["Test"])


def test_prod_serves_locked_down_is_healthy_and_stops_cleanly(
    locked_down: Container,
) -> None:
    wait_until_serving(locked_down)
    status, _, body = http_get(locked_down.url("/health"))
    assert (status, json.loads(body)) == (200, {"status": "ok"})
    # Podman's health checks run from systemd timers; this runs one now.
    assert podman("healthcheck", "run", locked_down.id, check=False).returncode == 0
    podman("stop", locked_down.id)
    exit_code = podman("inspect", "--format", "{{.State.ExitCode}}", locked_down.id).stdout
    assert exit_code.strip() == "0", locked_down.logs().stdout[-2000:]


def _podman_initialize() -> dict:
    """The initializeCommand that README's comment gives Podman users."""
    comment = next((c for c in readme_jsonc("database-devcontainer")[1] if "Podman" in c), None)
    assert comment, "README's devcontainer.json lines say nothing for Podman"
    return json.loads(comment[comment.index("{") :])


# A connection from the dev container to the database README's service adds, by its name.
REACH_DB = "import socket; socket.create_connection(('db', 5432), timeout=2).close()"


def test_dev_container_opens_reaches_a_service_and_files_stay_the_host_users(
    project_copy: Path,
) -> None:
    """Opened with README's service added, the Podman way; Podman's health checks do not
    run here (no systemd), so the database is reached once it listens."""
    add_readme_service(project_copy, _podman_initialize())
    try:
        with dev_container(project_copy, engine="podman") as container:
            _dev_container_works(container, project_copy)
    finally:
        subprocess.run(
            ["podman-compose", "down", "--volumes", "--timeout", "1"],
            cwd=project_copy, capture_output=True, timeout=120, check=False,
        )  # fmt: skip


def _dev_container_works(container: DevContainer, project_copy: Path) -> None:
    before = {name: (project_copy / name).read_text() for name in ("pyproject.toml", "poetry.lock")}
    wait_until(
        lambda: container.exec("python", "-c", REACH_DB), lambda r: r.returncode == 0,
        "the dev container to reach db:5432", 60,
    )  # fmt: skip
    assert container.exec("id", "-un").stdout.strip() == "dev"
    assert container.exec("touch", "made-in-container.txt").returncode == 0
    added = container.exec("poetry", "add", "six")
    assert added.returncode == 0, added.stdout[-2000:] + added.stderr[-2000:]
    imported = container.exec("python", "-c", "import six")
    assert imported.returncode == 0, imported.stderr
    tests = container.exec("pytest")
    assert tests.returncode == 0, tests.stdout[-4000:] + tests.stderr[-2000:]
    assert 'name = "six"' in (project_copy / "poetry.lock").read_text()
    not_mine = [p for p in project_copy.rglob("*") if p.stat().st_uid != os.getuid()]
    assert not_mine == [], "files in the workspace that the host user does not own"
    # The lock as it was, as a pull on the host brings a teammate's: a reopen follows it.
    for name, text in before.items():
        (project_copy / name).write_text(text)
    container.engine_cli("stop", "--time", "1", container.id)
    reopened = container.up()
    assert reopened.returncode == 0, reopened.stdout[-2000:] + reopened.stderr[-3000:]
    assert container.exec("python", "-c", "import six").returncode != 0, "a reopen kept six"


def test_a_wrong_login_fails_the_podman_build_too(
    private_project: Path, index: Index, tmp_path: Path
) -> None:
    # Before the build with the right login: its packages, once in the engine's caches (the
    # layers, uv's), would need no index, and no login.
    fresh_lock(private_project)
    wrong = tmp_path / "netrc"
    wrong.write_text(netrc_line("127.0.0.1", USER, "not the password"))
    built = build(
        f"{PREFIX}-refused", *_readme_build_options(), "--network", "host",
        context=private_project, netrc=wrong, engine="podman",
    )  # fmt: skip
    assert built.returncode != 0
    assert "`netrc` secret" in built.stdout + built.stderr


def test_netrc_secret_installs_the_private_package_and_stays_out(
    private_project: Path, index: Index, tmp_path: Path
) -> None:
    fresh_lock(private_project)
    tag = f"{PREFIX}-private"
    built = build(
        tag, *_readme_build_options(), "--network", "host",
        context=private_project, netrc=index.netrc, engine="podman",
    )  # fmt: skip
    assert built.returncode == 0, built.stderr[-4000:]
    greeting = podman("run", "--rm", tag, "python3", "-c", f"import {MODULE}")
    assert greeting.returncode == 0
    assert index.canary not in podman("history", "--no-trunc", tag).stdout
    for content in added_layer_files(tag, PYTHON_IMAGE, tmp_path, engine=podman):
        assert index.canary.encode() not in content, "the password is in a layer"


def test_ca_bundle_secret_is_used_and_stays_out(tmp_path: Path) -> None:
    """On a base that trusts only its distribution's CAs, the downloads work with the
    host's bundle as the secret, and no layer holds the bundle."""
    plain = f"{PREFIX}-plain-base"
    (tmp_path / "Dockerfile").write_text(
        f"FROM {PYTHON_IMAGE}\nRUN update-ca-certificates --fresh >/dev/null\n"
    )
    podman("build", "--tag", plain, str(tmp_path))
    bundle = Path("/etc/ssl/certs/ca-certificates.crt")
    tag = f"{PREFIX}-ca"
    built = build(
        tag, *_readme_build_options(), "--build-arg", f"PYTHON_IMAGE={plain}",
        "--secret", f"id=ca-bundle,src={bundle}", "--target", "build", engine="podman",
    )  # fmt: skip
    assert built.returncode == 0, built.stderr[-4000:]
    pem = bundle.read_bytes()
    for content in added_layer_files(tag, plain, tmp_path, engine=podman):
        assert content != pem, "the CA bundle is in a layer"


@pytest.fixture
def podman_compose(project_copy: Path) -> Iterator[Compose]:
    """README's compose command for Podman users, in a copy of the project."""
    provider, command = _readme_command("podman compose")
    project = Compose(
        project_copy, free_loopback_port(), free_loopback_port(), f"mpp{uuid.uuid4().hex[:8]}",
        command=command[:2], env=provider,
    )  # fmt: skip
    try:
        yield project
    finally:
        project.run("down")


def test_compose_dev_server_reloads_an_edit(podman_compose: Compose, project_copy: Path) -> None:
    assert_serves_and_reloads_an_edit(podman_compose, project_copy / PACKAGE / "views.py")
