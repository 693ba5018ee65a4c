"""The publish path, run for real: deploy/publish, which the workflow's image job runs,
against a distribution registry on 127.0.0.1 that asks for a login, as a company's
does. One image index holds linux/amd64 and linux/arm64 with their provenance, which
holds no index login; the labels and the base image's name and digest read back; each
platform's SBOM lists what the image holds; rootless Podman pulls the amd64 image and
it serves; two clean rebuilds of the commit give the same digests, and a rebuild that
differs names the files. Run them with `proof/run -m publish` (Docker with buildx,
skopeo, docker-registry, htpasswd)."""

import json
import re
import subprocess
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from proof.helpers.containers import Container, wait_until_serving
from proof.helpers.engine import podman
from proof.helpers.project import DEFAULT_PYTHON, PACKAGE, PYPROJECT, ROOT, copy_project
from proof.helpers.registry import Registry

pytestmark = pytest.mark.publish
GIT_USER = ["-c", "user.name=Test", "-c", "user.email=test@example.com"]
PUBLISH = ROOT / "deploy" / "publish"
INDEX_PASSWORD = uuid.uuid4().hex


def _committed_copy(tmp_path: Path) -> Path:
    """The project's files, committed in a repository of their own."""
    repo = copy_project(tmp_path / "repo")
    for args in (
        ["init", "--quiet"],
        ["add", "--all"],
        [*GIT_USER, "commit", "--quiet", "-m", "1"],
    ):
        assert subprocess.run(["git", *args], cwd=repo, check=False).returncode == 0
    return repo


def _inspect(registry: Registry, reference: str, template: str) -> str:
    found = registry.run(
        "docker", "buildx", "imagetools", "inspect", "--format", template, reference
    )
    assert found.returncode == 0, found.stderr
    return found.stdout


@pytest.fixture(scope="module")
def published(registry: Registry, fresh_base: str) -> str:
    """The commit, published by deploy/publish from a base no engine has built on: a
    cold build, as its rebuilds are."""
    image = f"{registry.host}/minimal-py-poetry"
    env = {
        "PYTHON_IMAGE": fresh_base,
        "IMAGE_SOURCE": "https://example.com/acme/service",
        # The index login the workflow hands the build, for a host nothing here reaches.
        "INDEX_NETRC": f"machine index.invalid login team password {INDEX_PASSWORD}\n",
    }
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
    assert INDEX_PASSWORD not in provenance, "the index login is in the provenance"


def test_the_provenance_check_finds_a_login_passed_as_a_build_argument(
    registry: Registry, base: str, tmp_path: Path
) -> None:
    """The check above, shown to fail: a copy whose deploy/publish hands the index
    login to the build as an argument, which the provenance records."""
    repo = _committed_copy(tmp_path)
    publish = repo / "deploy" / "publish"
    leaking = publish.read_text().replace(
        "--build-arg SOURCE_DATE_EPOCH", "--build-arg SOURCE_DATE_EPOCH --build-arg INDEX_NETRC"
    )
    assert leaking != publish.read_text(), "deploy/publish passes no build arguments"
    publish.write_text(leaking)
    image = f"{registry.host}/leaks"
    netrc = f"machine index.invalid login team password {INDEX_PASSWORD}\n"
    env = {"PYTHON_IMAGE": base, "PUBLISH_PLATFORMS": "linux/amd64", "INDEX_NETRC": netrc}
    result = registry.run(str(publish), image, "1", **env)
    assert result.returncode == 0, result.stderr[-4000:]
    assert INDEX_PASSWORD in _inspect(registry, f"{image}:1", "{{json .Provenance}}")


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_each_platform_sbom_lists_every_distribution_the_image_holds(
    registry: Registry, published: str
) -> None:
    listing = "import importlib.metadata as m\nfor d in m.distributions(): print(d.name, d.version)"
    held = registry.run(
        "docker", "run", "--rm", "--platform", "linux/amd64", "--entrypoint", "python",
        published, "-c", listing,
    )  # fmt: skip
    assert held.returncode == 0, held.stderr
    distributions = {(_normalized(n), v) for n, v in map(str.split, held.stdout.splitlines())}
    project = _normalized(PYPROJECT["project"]["name"])
    assert any(name == project for name, _ in distributions), held.stdout
    sboms = json.loads(_inspect(registry, published, "{{json .SBOM}}"))
    assert set(sboms) == {"linux/amd64", "linux/arm64"}, "a platform without its SBOM"
    for platform, sbom in sboms.items():
        listed = {(_normalized(p["name"]), p.get("versionInfo")) for p in sbom["SPDX"]["packages"]}
        assert distributions <= listed, f"{platform}'s SBOM lacks {distributions - listed}"


def test_labels_name_the_commit_and_the_base_by_digest(
    registry: Registry, published: str, fresh_base: str
) -> None:
    base_digest = json.loads(_inspect(registry, fresh_base, "{{json .Manifest}}"))["digest"]
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
        assert labels["base.name"] == fresh_base
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


def test_two_clean_rebuilds_of_the_commit_give_the_same_digests(
    registry: Registry, published: str
) -> None:
    """Three cold builds of one commit: a difference that shows once in a few builds
    (a single bytecode file, say) has two chances here to show."""
    for _ in range(2):
        verified = registry.run(str(PUBLISH), "--verify", published)
        assert verified.returncode == 0, verified.stdout[-4000:] + verified.stderr[-4000:]
        assert verified.stdout.count("linux/arm64 sha256:") == 2


def test_a_rebuild_that_differs_names_the_files(
    registry: Registry, base: str, tmp_path: Path
) -> None:
    """A checkout whose files are not the commit's: --verify fails and says which files
    of the image differ."""
    repo = _committed_copy(tmp_path)
    publish = str(repo / "deploy" / "publish")
    image = f"{registry.host}/differs"
    env = {"PYTHON_IMAGE": base, "PUBLISH_PLATFORMS": "linux/amd64"}
    result = registry.run(publish, image, "1", **env)
    assert result.returncode == 0, result.stderr[-4000:]
    views = repo / PACKAGE / "views.py"
    views.write_text(views.read_text() + "\n# changed after the commit\n")
    verified = registry.run(publish, "--verify", f"{image}:1", **env)
    assert verified.returncode != 0, "a different app verified"
    site = f"/opt/venv/lib/python{DEFAULT_PYTHON}/site-packages"
    assert f"linux/amd64 differs: {site}/{PACKAGE}/views.py" in verified.stdout, verified.stdout
