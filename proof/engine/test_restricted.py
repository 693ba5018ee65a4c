"""The prod image on restricted platforms (Kubernetes "restricted", OpenShift), run with
the settings deploy/kubernetes declares, and its contents checked by a real image tool."""

import re
from pathlib import Path

import pytest

from proof.helpers.containers import running, wait_for_workers, wait_until_serving
from proof.helpers.engine import docker
from proof.helpers.image_contents import structure_test
from proof.helpers.project import PACKAGE, PYTHON_IMAGE, cpu_limit, deployment
from proof.helpers.restricted import OPENSHIFT_USER, manifest_docker_args

pytestmark = pytest.mark.floor


@pytest.mark.parametrize("user", [None, OPENSHIFT_USER], ids=["kubernetes", "openshift"])
def test_serves_under_restricted_settings(prod_image: str, user: str | None) -> None:
    _, container = deployment()
    with running(prod_image, *manifest_docker_args(user)) as app:
        wait_until_serving(app)
        wait_for_workers(app, int(cpu_limit(container)))
        logs = app.logs().stdout
        assert not re.search(r"Permission denied|Read-only file system|Traceback", logs), logs
        # Root owns /srv, so root could write there if the root filesystem were writable.
        write_root = app.exec("touch", "/srv/x", user="0")
        assert "Read-only file system" in write_root.stderr, "the root filesystem is writable"
        assert app.exec("touch", "/tmp/x").returncode == 0


def test_read_only_root_compiles_nothing_at_start(prod_image: str) -> None:
    """Every module the server imports has its bytecode in the image already."""
    code = f"import {PACKAGE}, gunicorn.app.wsgiapp, gunicorn.workers.sync; {PACKAGE}.create_app()"
    result = docker("run", "--rm", "--read-only", prod_image, "python3", "-v", "-c", code)
    compiled = re.findall(r"^# code object from (/opt/venv/\S+\.py)$", result.stderr, re.M)
    assert compiled == [], "imported from source, without bytecode"


@pytest.mark.parametrize(
    ("image", "config"), [("prod", "prod-structure.yaml"), ("dev", "dev-structure.yaml")]
)
def test_image_structure(request: pytest.FixtureRequest, image: str, config: str) -> None:
    result = structure_test(request.getfixturevalue(f"{image}_image"), config)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]


def test_an_arbitrary_uid_writes_its_instance_folder_and_nowhere_else(prod_image: str) -> None:
    """Flask's instance folder for the installed package, made and written as a factory
    does, under the UID OpenShift picks; nothing else is writable to it but the scratch
    folders every base has (sticky and open to all)."""
    code = (
        f"import os, {PACKAGE}; path = {PACKAGE}.create_app().instance_path; "
        "os.makedirs(path); open(os.path.join(path, 'data'), 'w').close(); print(path)"
    )
    made = docker("run", "--rm", "--user", OPENSHIFT_USER, prod_image, "python3", "-c", code)
    instance = made.stdout.strip()
    # Folders it may not read make find exit 1; what it found is still all there is.
    found = docker(
        "run", "--rm", "--user", OPENSHIFT_USER, "--entrypoint", "find", prod_image,
        "/", "-xdev", "!", "-type", "l", "-writable", "-printf", "%m %p\\n",
        check=False,
    ).stdout.splitlines()  # fmt: skip
    assert "1777 /tmp" in found, f"find found not even /tmp: {found}"
    writable = [path for mode, path in (line.split(" ", 1) for line in found) if mode != "1777"]
    assert writable == [str(Path(instance).parent)], writable


SETUID_FILES = ["find", "/", "-xdev", "-type", "f", "-perm", "/6000"]


@pytest.mark.parametrize("base", [False, True], ids=["prod", "its base"])
def test_no_file_takes_another_users_rights(prod_image: str, base: bool) -> None:
    """No setuid or setgid file in prod (CIS Docker Benchmark 4.8), though its base has
    some: the check finds them there."""
    found = docker(
        "run", "--rm", "--user", "0", "--entrypoint", SETUID_FILES[0],
        PYTHON_IMAGE if base else prod_image, *SETUID_FILES[1:],
    ).stdout.split()  # fmt: skip
    assert bool(found) == base, found
