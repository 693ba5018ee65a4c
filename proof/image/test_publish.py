"""The publish path, run for real: deploy/publish, which the workflow's image job runs,
against a distribution registry on 127.0.0.1 that asks for a login, as a company's
does. One image index holds linux/amd64 and linux/arm64 with their provenance; the
labels and the base image's name and digest read back; rootless Podman pulls the amd64
image and it serves; a clean rebuild of the commit gives the same digests. Run them
with `proof/run -m publish` (Docker with buildx, skopeo, docker-registry, htpasswd)."""

import json
import subprocess
from datetime import UTC, datetime

import pytest

from proof.helpers.engine import Container, podman, wait_until_serving
from proof.helpers.project import ROOT
from proof.helpers.registry import Registry

pytestmark = pytest.mark.publish
PUBLISH = ROOT / "deploy" / "publish"


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
    result = registry.run(str(PUBLISH), image, "1.0.0", "latest", **env)
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
    podman(
        "pull", "--quiet", "--tls-verify=false", "--authfile", registry.auth_file,
        "--arch=amd64", published,
    )  # fmt: skip
    cid = podman(
        "run", "--detach", "--publish", "127.0.0.1::8000", "--user", "4321:0", published
    ).stdout.strip()
    try:
        wait_until_serving(Container(cid, engine="podman"))
    finally:
        podman("rm", "--force", cid, check=False)


def test_a_clean_rebuild_of_the_commit_gives_the_same_digests(
    registry: Registry, published: str
) -> None:
    verified = registry.run(str(PUBLISH), "--verify", published)
    assert verified.returncode == 0, verified.stdout[-2000:] + verified.stderr[-4000:]
    assert verified.stdout.count("linux/arm64 sha256:") == 2
