"""The publish path, run for real: deploy/publish, which the workflow's image job runs,
against a distribution registry on 127.0.0.1 that asks for a login, as a company's
does. One image index holds linux/amd64 and linux/arm64 with their provenance; the
labels and the base image's name and digest read back; rootless Podman pulls the amd64
image and it serves; a clean rebuild of the commit gives the same digests. Run them
with `tests/run -m publish` (Docker with buildx, skopeo, docker-registry, htpasswd)."""

import json
import os
import secrets
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.image.containers import (
    DOCKER_ENV,
    PYTHON_IMAGE,
    ROOT,
    PodmanContainer,
    docker,
    free_loopback_port,
    http_get,
    podman,
    wait_until_serving,
)

pytestmark = pytest.mark.publish
PUBLISH = ROOT / "deploy" / "publish"
USER = "publisher"
TOOLS = {
    "docker-registry": "Debian: apt-get install docker-registry",
    "htpasswd": "Debian: apt-get install apache2-utils",
    "skopeo": "Debian and Fedora: package skopeo",
}


@dataclass
class Registry:
    host: str
    password: str
    # A Docker client configuration folder holding the engine's login to it.
    config: Path

    @property
    def env(self) -> dict[str, str]:
        # The SBOM scanner is an image from Docker Hub, which a closed network lacks.
        return {**DOCKER_ENV, "DOCKER_CONFIG": str(self.config), "PUBLISH_SBOM": "false"}

    def run(self, *command: str, timeout: float = 1800) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            command, env=self.env, capture_output=True, text=True, timeout=timeout, check=False
        )


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    for tool, how in TOOLS.items():
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} not found: install it ({how})")
    folder = tmp_path_factory.mktemp("registry")
    password = secrets.token_hex(16)
    htpasswd = subprocess.run(
        ["htpasswd", "-Bbn", USER, password], capture_output=True, text=True, check=True
    ).stdout
    (folder / "htpasswd").write_text(htpasswd)
    host = f"127.0.0.1:{free_loopback_port()}"
    (folder / "config.yml").write_text(
        "version: 0.1\n"
        f"storage:\n  filesystem:\n    rootdirectory: {folder / 'data'}\n"
        f"http:\n  addr: {host}\n"
        f"auth:\n  htpasswd:\n    realm: test\n    path: {folder / 'htpasswd'}\n"
    )
    log = (folder / "registry.log").open("w")
    server = subprocess.Popen(
        ["docker-registry", "serve", str(folder / "config.yml")], stdout=log, stderr=log
    )
    try:
        _wait_for_login_prompt(f"http://{host}/v2/", folder / "registry.log")
        found = Registry(host, password, folder / "docker")
        login = subprocess.run(
            ["docker", "login", host, "--username", USER, "--password-stdin"],
            input=password, env=found.env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert login.returncode == 0, login.stderr
        yield found
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


def _wait_for_login_prompt(url: str, log: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if http_get(url, timeout=1)[0] == 401:
                return
        except OSError:
            pass
        assert time.monotonic() < deadline, f"the registry did not start:\n{log.read_text()}"
        time.sleep(0.2)


@pytest.fixture(scope="module")
def base(registry: Registry) -> str:
    """The base image as a two-platform index in the registry, as the official one is."""
    arm64 = os.environ.get("ARM64_PYTHON_IMAGE", PYTHON_IMAGE)
    name = f"{registry.host}/python:base"
    parts = []
    for platform, image in (("amd64", PYTHON_IMAGE), ("arm64", arm64)):
        part = f"{name}-{platform}"
        docker("tag", image, part)
        pushed = registry.run("docker", "push", "--quiet", part)
        assert pushed.returncode == 0, pushed.stderr
        parts.append(part)
    made = registry.run("docker", "buildx", "imagetools", "create", "--tag", name, *parts)
    assert made.returncode == 0, made.stderr
    return name


def _inspect(registry: Registry, reference: str, template: str) -> str:
    found = registry.run(
        "docker", "buildx", "imagetools", "inspect", "--format", template, reference
    )
    assert found.returncode == 0, found.stderr
    return found.stdout


@pytest.fixture(scope="module")
def published(registry: Registry, base: str) -> str:
    image = f"{registry.host}/minimal-py-poetry"
    env = {"PYTHON_IMAGE": base, "IMAGE_SOURCE": "https://example.com/acme/service"}
    result = subprocess.run(
        [str(PUBLISH), image, "1.0.0", "latest"],
        env={**registry.env, **env}, capture_output=True, text=True, timeout=1800, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    return f"{image}:1.0.0"


def test_one_index_holds_both_platforms_and_their_provenance(
    registry: Registry, published: str
) -> None:
    index = json.loads(_inspect(registry, published, "{{json .Manifest}}"))
    platforms = {
        f"{m['platform']['os']}/{m['platform']['architecture']}": m["digest"]
        for m in index["manifests"]
        if m["platform"]["os"] != "unknown"
    }
    assert set(platforms) == {"linux/amd64", "linux/arm64"}
    attested = {
        m["annotations"]["vnd.docker.reference.digest"]
        for m in index["manifests"]
        if m.get("annotations", {}).get("vnd.docker.reference.type") == "attestation-manifest"
    }
    assert attested == set(platforms.values()), "a platform without its provenance"
    provenance = _inspect(registry, published, "{{json .Provenance}}")
    assert '"linux/arm64"' in provenance and '"linux/amd64"' in provenance
    assert registry.password not in provenance


def test_labels_name_the_commit_and_the_base_by_digest(
    registry: Registry, published: str, base: str
) -> None:
    base_digest = json.loads(_inspect(registry, base, "{{json .Manifest}}"))["digest"]
    revision, epoch = subprocess.run(
        ["git", "log", "-1", "--format=%H %ct"], cwd=ROOT, capture_output=True, text=True,
        check=True,
    ).stdout.split()  # fmt: skip
    created = datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    configs = json.loads(_inspect(registry, published, "{{json .Image}}"))
    assert set(configs) == {"linux/amd64", "linux/arm64"}
    for config in configs.values():
        labels = {
            key.removeprefix("org.opencontainers.image."): value
            for key, value in config["config"]["Labels"].items()
        }
        assert labels["revision"] == revision
        assert labels["version"] == "1.0.0"
        assert labels["source"] == "https://example.com/acme/service"
        assert labels["base.name"] == base
        assert labels["base.digest"] == base_digest
        assert labels["created"] == created


def test_rootless_podman_pulls_the_amd64_image_and_it_serves(
    registry: Registry, published: str
) -> None:
    auth = str(registry.config / "config.json")
    podman("pull", "--quiet", "--tls-verify=false", "--authfile", auth, "--arch=amd64", published)
    cid = podman(
        "run", "--detach", "--publish", "127.0.0.1::8000", "--user", "4321:0", published
    ).stdout.strip()
    try:
        wait_until_serving(PodmanContainer(cid))
    finally:
        podman("rm", "--force", cid, check=False)


def test_a_clean_rebuild_of_the_commit_gives_the_same_digests(
    registry: Registry, published: str
) -> None:
    verified = registry.run(str(PUBLISH), "--verify", published)
    assert verified.returncode == 0, verified.stdout[-2000:] + verified.stderr[-4000:]
    assert verified.stdout.count("linux/arm64 sha256:") == 2
