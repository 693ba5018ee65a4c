"""The dev container opens from published layers. deploy/publish --dev-cache, which the
workflow's image job runs, pushes the dev stage with its cache metadata, built on an
engine of the test's own (for amd64 alone: the arm64 dev build is test_platforms.py's,
and a push of both platforms test_publish.py's); a project whose devcontainer.json names
it as build.cacheFrom then opens on the user's engine without running a build step of
its own. A cache that is unreachable or missing falls back to a normal build, and
nothing published holds the index login; Podman, which reads no BuildKit cache, still
opens the project, and refuses the name with a tag. Run with `proof/run -m publish`
(rootless Docker besides what test_publish.py needs)."""

import gzip
import io
import re
import secrets
from pathlib import Path

import pytest
import zstandard

from proof.helpers.build_log import build_steps
from proof.helpers.devcontainer import dev_container, set_cache_from
from proof.helpers.engine import podman
from proof.helpers.http import free_loopback_port
from proof.helpers.project import DOCKERFILE, PYTHON_IMAGE, ROOT, copy_project
from proof.helpers.registry import Registry, own_engine
from proof.helpers.users import netrc_line

pytestmark = pytest.mark.publish
PUBLISH = ROOT / "deploy" / "publish"
INDEX_PASSWORD = secrets.token_hex(16)
STAGES = set(re.findall(r"^FROM \S+ AS (\S+)", DOCKERFILE, re.MULTILINE))


@pytest.fixture(scope="module")
def dev_cache(registry: Registry, fresh_base: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The dev stage's cache, published by deploy/publish from a new, empty engine that
    reaches the registry only through skopeo: the base is loaded into it."""
    archive = tmp_path_factory.mktemp("base") / "base.tar"
    name = f"{registry.host}/minimal-py-poetry-dev-cache"
    copied = registry.run(
        "skopeo", "copy", "--quiet", "--all", "--src-tls-verify=false",
        "--authfile", registry.auth_file, f"docker://{fresh_base}",
        f"oci-archive:{archive}:{fresh_base}",
    )  # fmt: skip
    assert copied.returncode == 0, copied.stderr
    with own_engine() as engine:
        engine.load(archive)
        published = registry.run(
            str(PUBLISH), "--dev-cache", name, DOCKER_HOST=engine.env["DOCKER_HOST"],
            PYTHON_IMAGE=fresh_base, INDEX_NETRC=netrc_line("index.invalid", "ci", INDEX_PASSWORD),
            PUBLISH_PLATFORMS="linux/amd64",
        )  # fmt: skip
    assert published.returncode == 0, published.stdout + published.stderr[-4000:]
    platforms = {line.split()[0] for line in published.stdout.splitlines()}
    assert platforms == {"linux/amd64"}
    return name


def _with_cache_from(folder: Path, name: str) -> Path:
    project = copy_project(folder)
    set_cache_from(project, name)
    return project


def _steps_run(build_log: str) -> list[str]:
    """The Dockerfile's RUN steps that a build log shows ran rather than came from a cache;
    a log in which none of them is found at all fails."""
    steps = [
        (step, cached)
        for stage, step, cached in build_steps(build_log).values()
        if stage.split()[0] in STAGES and step.startswith("RUN ")
    ]
    assert steps, f"no RUN step of {sorted(STAGES)} found in the log:\n{build_log[-4000:]}"
    return [step for step, cached in steps if not cached]


def test_a_new_machine_opens_the_dev_container_from_the_published_layers(
    registry: Registry, fresh_base: str, dev_cache: str, tmp_path: Path
) -> None:
    project = _with_cache_from(tmp_path, dev_cache)
    with dev_container(
        project, PYTHON_IMAGE=fresh_base, DOCKER_CONFIG=str(registry.config)
    ) as container:
        log = container.opened.stdout + container.opened.stderr
        assert f"importing cache manifest from {dev_cache}" in log, log[-4000:]
        assert "[dev " in log, f"no build steps in the log:\n{log[-4000:]}"
        assert _steps_run(log) == [], log[-4000:]
        tests = container.exec("pytest", "-q")
        assert tests.returncode == 0, tests.stdout[-2000:]


@pytest.mark.parametrize("kind", ["unreachable", "missing"])
def test_a_cache_it_cannot_read_falls_back_to_a_build(
    registry: Registry, kind: str, tmp_path: Path
) -> None:
    host = f"127.0.0.1:{free_loopback_port()}" if kind == "unreachable" else registry.host
    project = _with_cache_from(tmp_path, f"{host}/minimal-py-poetry-no-such-cache")
    with dev_container(project, DOCKER_CONFIG=str(registry.config)) as container:
        assert container.exec("poetry", "--version").returncode == 0


def test_podman_opens_a_project_that_names_the_cache(dev_cache: str, tmp_path: Path) -> None:
    """Podman reads no BuildKit cache: the name must not stop it."""
    project = _with_cache_from(tmp_path, dev_cache)
    with dev_container(project, engine="podman") as container:
        assert container.exec("poetry", "--version").returncode == 0


def test_podman_refuses_a_tag_in_the_cache_name(registry: Registry, tmp_path: Path) -> None:
    """Why README says to name the cache without a tag: Podman refuses the name before
    it looks for it, so this needs no published cache."""
    (tmp_path / "Dockerfile").write_text(f"FROM {PYTHON_IMAGE}\n")
    tagged = podman(
        "build", "--cache-from", f"{registry.host}/minimal-py-poetry-dev-cache:latest",
        str(tmp_path), check=False,
    )  # fmt: skip
    assert tagged.returncode != 0, "Podman took a tagged --cache-from: README can drop the rule"
    assert "neither a tag nor digest" in tagged.stderr


def test_nothing_published_holds_the_index_login(
    registry: Registry, dev_cache: str, tmp_path: Path
) -> None:
    copied = registry.run(
        "skopeo", "copy", "--quiet", "--all", "--src-tls-verify=false",
        "--authfile", registry.auth_file, f"docker://{dev_cache}", f"oci:{tmp_path / 'oci'}",
    )  # fmt: skip
    assert copied.returncode == 0, copied.stderr
    blobs = sorted((tmp_path / "oci" / "blobs" / "sha256").iterdir())
    assert len(blobs) > 4
    assert any(blob.read_bytes()[:4] == b"\x28\xb5\x2f\xfd" for blob in blobs), "no zstd layer"
    for blob in blobs:
        data = blob.read_bytes()
        if data.startswith(b"\x1f\x8b"):
            data = gzip.decompress(data)
        elif data.startswith(b"\x28\xb5\x2f\xfd"):  # zstd, as the dev cache's layers are
            data = (
                zstandard.ZstdDecompressor()
                .stream_reader(io.BytesIO(data), read_across_frames=True)
                .read()
            )
        for secret in (INDEX_PASSWORD, registry.password):
            assert secret.encode() not in data, f"a published blob holds a secret: {blob.name}"
