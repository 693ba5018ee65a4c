"""A company index that needs a login, for the tests of private packages: a real
pypiserver on 127.0.0.1 with basic auth, a package of our own on it, and a copy of the
project that declares the index and depends on that package, the Poetry way."""

import secrets
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from proof.helpers.containers import in_dev_image
from proof.helpers.http import free_loopback_port, http_get
from proof.helpers.project import copy_project, host_tool
from proof.helpers.users import netrc_line, openssl
from proof.helpers.waiting import wait_until

SOURCE = "acme"
PACKAGE = "acme-greeting"
MODULE = "acme_greeting"
USER = "builder"


@dataclass
class Index:
    url: str
    packages: Path
    password: str
    netrc: Path
    log: Path

    @property
    def canary(self) -> str:
        """The password's random part, which any copy of it holds as it is, quoted or not."""
        return self.password.split(" ")[0]


@contextmanager
def serving_index(folder: Path) -> Iterator[Index]:
    """pypiserver on a loopback port, serving from folder and asking for a login to list
    or download anything."""
    (folder / "packages").mkdir()
    # Random, and with every printable character that is not a letter or digit.
    password = "pw" + secrets.token_hex(12) + " !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
    hashed = openssl("passwd", "-apr1", "-stdin", stdin=password).strip()
    (folder / "htpasswd").write_text(f"{USER}:{hashed}\n")
    netrc = folder / "netrc"
    netrc.write_text(netrc_line("127.0.0.1", USER, password))
    netrc.chmod(0o600)
    port = free_loopback_port()
    log = folder / "server.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [host_tool("pypi-server"), "run", "--interface", "127.0.0.1", "--port", str(port),
             "--passwords", str(folder / "htpasswd"), "--authenticate", "download,list,update",
             "--verbose", str(folder / "packages")],
            stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}/simple/"
    try:
        wait_until(lambda: _answers(url), bool, "pypiserver to answer")
        yield Index(url, folder / "packages", password, netrc, log)
    finally:
        server.terminate()
        server.wait(timeout=10)


def _answers(url: str) -> bool:
    try:
        return http_get(url, timeout=1)[0] == 401
    except OSError:
        return False


def publish_package(index: Index, dev_image: str, folder: Path) -> str:
    """A package of our own, built in folder by the dev image's Poetry, put on the index
    at a version that no earlier run has cached; returns that version."""
    version = f"1.0.{time.time_ns()}"
    (folder / MODULE).mkdir()
    (folder / MODULE / "__init__.py").write_text(f'GREETING = "hello from {SOURCE}"\n')
    (folder / "pyproject.toml").write_text(
        f'[project]\nname = "{PACKAGE}"\nversion = "{version}"\n'
        '[build-system]\nrequires = ["poetry-core>=2.0,<3"]\n'
        'build-backend = "poetry.core.masonry.api"\n'
    )
    in_dev_image(dev_image, folder, "poetry", "build", "--format", "wheel")
    for wheel in (folder / "dist").glob("*.whl"):
        shutil.copy(wheel, index.packages)
    return version


def project_using_index(index: Index, version: str, dev_image: str, folder: Path) -> Path:
    """A copy of the project in folder, with the index declared and the package at version
    added from it, the Poetry way."""
    copy_project(folder)
    folder.chmod(0o755)
    in_dev_image(
        dev_image, folder, "sh", "-c",
        f"poetry source add --priority=supplemental {SOURCE} {index.url}"
        f" && poetry add --lock --source {SOURCE} {PACKAGE}=={version}",
        netrc=index.netrc,
    )  # fmt: skip
    return folder


def fresh_lock(project: Path) -> None:
    """A lock no build has seen, so that no cached layer hides what the secret does."""
    with (project / "poetry.lock").open("a") as lock:
        lock.write(f"# {uuid.uuid4()}\n")
