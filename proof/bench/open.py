"""How long "Reopen in Container" takes on a machine that has never built the dev image:
cold, and from the dev cache that deploy/publish --dev-cache publishes (proof/README.md).

Each open builds on a base of its own (the base image plus a label no build has seen), so
no layer of the user's engine matches; the cache is published by a rootless engine of
the bench's own, which starts empty and is removed after. Nothing is pruned."""

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
import uuid
from pathlib import Path

import pytest

from proof.bench.__main__ import LABEL, RUN, cleanup, log, row
from proof.bench.machine import describe
from proof.helpers.containers import in_dev_image
from proof.helpers.devcontainer import dev_container, set_cache_from
from proof.helpers.engine import built, docker, fresh_base_context
from proof.helpers.project import PYTHON_IMAGE, copy_project
from proof.helpers.registry import Registry, own_engine, serving_registry

# About 50 packages in all with what they pull in: a service's usual runtime and dev picks.
MORE = {
    "main": ["requests", "sqlalchemy", "pydantic", "structlog", "pyyaml", "python-dateutil",
             "httpx", "redis", "marshmallow", "tenacity"],
    "dev": ["mypy", "coverage", "hypothesis", "faker", "freezegun", "responses", "pytest-cov",
            "types-requests", "types-pyyaml"],
}  # fmt: skip


def fresh_base() -> str:
    """The base plus a layer of its own: no layer in any engine was built on it."""
    with tempfile.TemporaryDirectory() as folder:
        context = fresh_base_context(Path(folder), PYTHON_IMAGE)
        return built(f"{RUN}-base:{uuid.uuid4().hex[:8]}", "--label", LABEL, context=context)


def with_more_packages(project: Path, dev_image: str) -> None:
    """Adds MORE to the project's lock with Poetry in the dev image."""
    for group, names in MORE.items():
        in_dev_image(dev_image, project, "poetry", "add", "--lock", "--group", group, *names)


def packages(project: Path) -> str:
    """How many locked packages the dev container installs, and how many are runtime."""
    lock = tomllib.loads((project / "poetry.lock").read_text())
    groups = [set(package["groups"]) for package in lock["package"]]
    runtime = sum("main" in g for g in groups)
    return f"{sum(bool(g & {'main', 'dev'}) for g in groups)} ({runtime} runtime)"


def open_seconds(project: Path, base: str, **env: str) -> float:
    start = time.monotonic()
    with dev_container(project, PYTHON_IMAGE=base, **env):
        return time.monotonic() - start


def publish_cache(registry: Registry, project: Path, base: str) -> str:
    """The project's dev cache, published by its deploy/publish from an empty engine."""
    name = f"{registry.host}/bench-{uuid.uuid4().hex[:8]}"
    archive = project / "base.tar"
    docker("save", "--output", str(archive), base)
    with own_engine() as engine:
        engine.load(archive)
        published = registry.run(
            str(project / "deploy" / "publish"), "--dev-cache", name,
            DOCKER_HOST=engine.env["DOCKER_HOST"], PYTHON_IMAGE=base,
            PUBLISH_PLATFORMS="linux/amd64",
        )  # fmt: skip
    archive.unlink()
    if published.returncode:
        raise RuntimeError(f"publishing the dev cache failed:\n{published.stderr[-4000:]}")
    return name


def new_machine(project: Path) -> Path:
    """A copy of project whose build steps find the download cache as empty as a new
    machine's: its cache mounts take an ID of their own."""
    copy = Path(tempfile.mkdtemp(prefix="bench-open-", dir=project.parent))
    shutil.copytree(project, copy, dirs_exist_ok=True)
    dockerfile = copy / "Dockerfile"
    dockerfile.write_text(
        dockerfile.read_text().replace(
            "--mount=type=cache,", f"--mount=type=cache,id=bench-{uuid.uuid4()},"
        )
    )
    return copy


def measure(registry: Registry, project: Path, repeats: int) -> dict[str, list[float]]:
    """Every repeat's cache is published first, so that no publishing engine is still
    being torn down while an open is timed; then cold and cached opens take turns."""
    times: dict[str, list[float]] = {"cold": [], "cached": []}
    set_cache_from(project, None)
    caches = []
    for _ in range(repeats):
        base = fresh_base()
        cached = new_machine(project)
        set_cache_from(cached, publish_cache(registry, cached, base))
        caches.append((cached, base))
    subprocess.run(["sync"], check=True)
    for repeat, (cached, base) in enumerate(caches, start=1):
        times["cold"].append(open_seconds(new_machine(project), fresh_base()))
        times["cached"].append(open_seconds(cached, base, DOCKER_CONFIG=str(registry.config)))
        log(f"{project.name}, repeat {repeat}: cold {times['cold'][-1]:.1f} s,"
            f" from the cache {times['cached'][-1]:.1f} s")  # fmt: skip
    return times


def main() -> None:
    repeats = int(os.environ.get("REPEATS", "5"))
    lines = [
        describe("proof/bench/run open", PYTHON_IMAGE, repeats)
        + " Each cell: the median (min-max).",
        "", row("lock", "packages in dev", "cold open", "open from the cache", "cold / cached"),
        row(*["---"] * 5),
    ]  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="bench-open-") as folder:
        try:
            with serving_registry(Path(tempfile.mkdtemp(dir=folder))) as registry:
                dev_image = built(f"{RUN}-dev", "--target", "dev", "--label", LABEL)
                for lock in ("template", "about 50 packages"):
                    project = copy_project(Path(tempfile.mkdtemp(prefix="lock-", dir=folder)))
                    if lock != "template":
                        with_more_packages(project, dev_image)
                    times = measure(registry, project, repeats)
                    lines.append(row(lock, packages(project), *summary(times)))
        except (AssertionError, RuntimeError, subprocess.SubprocessError) as error:
            sys.exit(f"bench: {error}")
        except pytest.fail.Exception as error:
            sys.exit(f"bench: {error}")
        finally:
            cleanup()
    print("\n".join(lines))


def summary(times: dict[str, list[float]]) -> list[str]:
    cells = []
    for kind in ("cold", "cached"):
        values = times[kind]
        cells.append(f"{statistics.median(values):.1f} s ({min(values):.1f}-{max(values):.1f})")
    ratio = statistics.median(times["cold"]) / statistics.median(times["cached"])
    cells.append(f"{ratio:.1f}x ({'meets' if ratio >= 3 else '**misses**'} the 3x target)")
    return cells


if __name__ == "__main__":
    main()
