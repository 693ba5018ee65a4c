"""A company index that needs a login: a supplemental Poetry source whose packages the
image builds install through the `netrc` secret, and the dev container through the host
user's own credentials, with the password in no layer, history line, image config,
workspace file or container file. The index is a real pypiserver on 127.0.0.1 with basic
auth; builds and containers reach it on the host network."""

import json
import shutil
import tomllib
import uuid
from pathlib import Path

import pytest
import yaml

from proof.helpers.build_log import step_output
from proof.helpers.compose import Compose
from proof.helpers.devcontainer import DevContainer, dev_container
from proof.helpers.engine import TEST_IMAGE, build, docker
from proof.helpers.http import free_loopback_port
from proof.helpers.image_contents import added_layer_files
from proof.helpers.private_index import MODULE, PACKAGE, SOURCE, USER, Index, fresh_lock
from proof.helpers.project import PYTHON_IMAGE, ROOT, dockerfile_value
from proof.helpers.users import HOST_USER, netrc_line

pytestmark = pytest.mark.floor

PREFIX = f"{TEST_IMAGE}:private"
# An entry of the host user's own netrc, with Windows line endings.
OWN_ENTRY = "machine git.example.com\r\n  login me\r\n  password hunter2\r\n"


def _assert_nowhere_in_image(image: str, password: str, tmp_path: Path) -> None:
    history = docker("history", "--no-trunc", image).stdout
    assert password not in history, "the password is in the image history"
    assert password not in docker("image", "inspect", image).stdout, "in the image config"
    for content in added_layer_files(image, PYTHON_IMAGE, tmp_path):
        assert password.encode() not in content, "the password is in a layer"


def test_source_is_declared_the_poetry_way_without_credentials(
    private_project: Path, index: Index
) -> None:
    project = tomllib.loads((private_project / "pyproject.toml").read_text())
    declared = [s for s in project["tool"]["poetry"]["source"] if s["name"] == SOURCE]
    assert declared == [{"name": SOURCE, "url": index.url, "priority": "supplemental"}]
    lock = tomllib.loads((private_project / "poetry.lock").read_text())
    locked = next(p for p in lock["package"] if p["name"] == PACKAGE)
    assert locked["source"]["url"] == index.url.rstrip("/")
    for name in ("pyproject.toml", "poetry.lock"):
        assert index.canary not in (private_project / name).read_text()


@pytest.mark.parametrize("login", ["missing", "wrong"])
def test_build_without_a_good_login_fails_and_says_where_logins_go(
    private_project: Path, index: Index, login: str, tmp_path: Path
) -> None:
    project = shutil.copytree(private_project, tmp_path / "project")
    fresh_lock(project)
    netrc = None
    if login == "wrong":
        netrc = tmp_path / "netrc"
        netrc.write_text(netrc_line("127.0.0.1", USER, "not the password"))
    result = build(
        f"{PREFIX}-prod", "--target", "prod", "--network", "host", context=project, netrc=netrc
    )
    assert result.returncode != 0, f"built with a {login} index login"
    refused = f"({index.url.rstrip('/')})" in result.stderr and PACKAGE in result.stderr
    assert refused, "the refusal names no index or no package"
    # The build stage's one RUN step installs the locked packages.
    _assert_ends_with_the_login_hint(result.stderr, r"build \d+/\d+\] RUN ")


def _assert_ends_with_the_login_hint(output: str, step: str) -> None:
    """The failed step's last line names the netrc secret and the README section."""
    last = step_output(output, step)[-1]
    assert "`netrc` secret" in last, f"the step ended with: {last}"
    assert "README: Private packages" in last


@pytest.mark.parametrize("target", ["prod", "dev"])
def test_build_with_the_secret_installs_it_and_keeps_the_password_out(
    private_project: Path, index: Index, target: str, tmp_path: Path
) -> None:
    fresh_lock(private_project)
    result = build(
        f"{PREFIX}-{target}", "--target", target, "--network", "host",
        context=private_project, netrc=index.netrc,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-4000:]
    image = f"{PREFIX}-{target}"
    greeting = docker(
        "run", "--rm", image, "python3", "-c", f"import {MODULE} as m; print(m.GREETING)"
    )
    assert greeting.stdout.strip() == f"hello from {SOURCE}"
    _assert_nowhere_in_image(image, index.canary, tmp_path)


def test_mirror_that_needs_a_login_takes_the_same_secret(index: Index, tmp_path: Path) -> None:
    """Poetry, its plugin and the locked runtime packages, all from the index: the mirror
    URL goes into the history, the password does not."""
    lock = tomllib.loads((ROOT / "poetry.lock").read_text())
    runtime = [f"{p['name']}=={p['version']}" for p in lock["package"] if "main" in p["groups"]]
    tools = [
        f"poetry=={dockerfile_value('POETRY_VERSION')}",
        f"poetry-plugin-pypi-mirror=={dockerfile_value('POETRY_MIRROR_PLUGIN_VERSION')}",
    ]
    # Downloaded by the base image's own Python, so the wheels fit it.
    docker(
        "run", "--rm", "--user", HOST_USER, "--env", "HOME=/tmp",
        "--volume", f"{index.packages}:/packages", PYTHON_IMAGE, "sh", "-c",
        "python3 -m venv /tmp/v && /tmp/v/bin/pip download --quiet --dest /packages \"$@\"",
        "-", *tools, *runtime,
    )  # fmt: skip
    served_before = len(index.log.read_text())
    refused = build(
        f"{PREFIX}-mirror-refused", "--target", "poetry", "--network", "host", "--no-cache",
        "--build-arg", f"POETRY_PYPI_MIRROR_URL={index.url}",
        netrc=None,
    )  # fmt: skip
    assert refused.returncode != 0, "the mirror served Poetry without a login"
    # The uv stage's RUN step, the first download, installs uv with pip.
    _assert_ends_with_the_login_hint(refused.stderr, r"uv \d+/\d+\] RUN ")
    # `build` is where the mirror URL is recorded; Poetry, which prod has not, is dev's.
    for target in ("poetry", "build", "prod"):
        image = f"{PREFIX}-mirror-{target}"
        result = build(
            image, "--target", target, "--network", "host",
            "--build-arg", f"POETRY_PYPI_MIRROR_URL={index.url}",
            netrc=index.netrc,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr[-4000:]
        _assert_nowhere_in_image(image, index.canary, tmp_path)
    served = index.log.read_text()[served_before:]
    for name in ("poetry", "flask"):
        assert f"/simple/{name}/" in served, f"{name} was not fetched from the mirror"
    history = docker("history", "--no-trunc", f"{PREFIX}-mirror-build").stdout
    assert f"POETRY_PYPI_MIRROR_URL={index.url}" in history


def test_compose_takes_the_netrc_that_NETRC_names(
    private_project: Path, index: Index, tmp_path: Path
) -> None:
    project = shutil.copytree(private_project, tmp_path / "project")
    fresh_lock(project)
    compose_file = project / "compose.yaml"
    config = yaml.safe_load(compose_file.read_text())
    config["services"]["app"]["build"]["network"] = "host"
    compose_file.write_text(yaml.safe_dump(config))
    compose = Compose(
        project, free_loopback_port(), free_loopback_port(), f"mpp-{uuid.uuid4().hex[:8]}",
        env={"NETRC": str(index.netrc)},
    )  # fmt: skip
    try:
        built = compose.run("build", "app")
        assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-4000:]
    finally:
        compose.run("down", "--rmi", "local")


def _on_host_network(project: Path) -> Path:
    """The copy's dev container builds and runs on the host network, where the index is."""
    path = project / ".devcontainer" / "devcontainer.json"
    config = json.loads(path.read_text())
    config["build"]["options"] += ["--network", "host"]
    config["runArgs"] = ["--network=host"]
    path.write_text(json.dumps(config))
    return project


def _assert_poetry_adds_it_and_stores_no_password(
    container: DevContainer, project: Path, private_version: str, password: str
) -> None:
    for command in (
        ["remove", PACKAGE],
        ["add", "--source", SOURCE, f"{PACKAGE}=={private_version}"],
    ):
        result = container.exec("poetry", *command)
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    imported = container.exec("python", "-c", f"import {MODULE}")
    assert imported.returncode == 0, imported.stderr
    # The mounted ~/.netrc must be found, and nothing else: the scan did read the files.
    found = docker(
        "exec", "--user", "root", container.id,
        "grep", "-rlsF", "--exclude-dir=proc", "--exclude-dir=sys", "-e", password, "/",
        check=False,
    ).stdout.split()  # fmt: skip
    assert found == ["/home/dev/.netrc"], f"the password is stored in the container: {found}"
    assert not [
        p for p in project.rglob("*") if p.is_file() and password.encode() in p.read_bytes()
    ]


@pytest.mark.parametrize("given_as", ["netrc", "INDEX_NETRC"])
def test_dev_container_uses_the_host_users_login(
    private_project: Path, index: Index, private_version: str, given_as: str, tmp_path: Path
) -> None:
    """The login in the host user's ~/.netrc, or in the INDEX_NETRC variable (as a
    Codespaces secret gives it) beside a ~/.netrc of the user's own, which survives."""
    project = _on_host_network(shutil.copytree(private_project, tmp_path / "project"))
    fresh_lock(project)
    home = tmp_path / "home"
    home.mkdir()
    login = index.netrc.read_text()
    logins = {}
    if given_as == "netrc":
        (home / ".netrc").write_text(login)
    else:
        (home / ".netrc").write_text(OWN_ENTRY)
        logins = {"INDEX_NETRC": login}
    with dev_container(project, HOME=str(home), **logins) as container:
        _assert_poetry_adds_it_and_stores_no_password(
            container, project, private_version, index.canary
        )
        if given_as == "INDEX_NETRC":
            hosts = container.exec(
                "python", "-c", "import netrc; print(sorted(netrc.netrc().hosts))"
            ).stdout
            assert "git.example.com" in hosts, "the user's own netrc entry was lost"
