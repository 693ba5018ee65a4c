"""How the Dockerfile builds: a stale lock, the dependency cache, the build context."""

import re
import tomllib
import uuid
from pathlib import Path

import pytest

from proof.helpers.engine import TEST_IMAGE, build, docker
from proof.helpers.image_contents import apt_leftovers
from proof.helpers.project import DOCKERFILE, PACKAGE, PYTHON_IMAGE, ROOT, dockerfile_value

# The steps that install dependencies, which only a change of them may run again.
BUILD_INSTALL = ("build", r"RUN .*--mount=type=cache")
BACKEND_INSTALL = ("backend", r"RUN .*--mount=type=cache")

# The folders the Dockerfile's cache mounts name, a variable given by its value.
CACHE_TARGETS = {
    dockerfile_value(target[1:].strip("{}")) if target.startswith("$") else target
    for target in re.findall(r"--mount=type=cache,target=([^\s,]+)", DOCKERFILE)
}


@pytest.mark.floor
def test_stale_lock_fails_early_and_says_to_run_poetry_lock(project_copy: Path) -> None:
    pyproject = project_copy / "pyproject.toml"
    declared = pyproject.read_text()
    assert "dependencies = [" in declared, "pyproject.toml has no dependencies list"
    pyproject.write_text(declared.replace("dependencies = [", 'dependencies = [\n  "six",', 1))
    result = build(f"{TEST_IMAGE}:stale", "--target", "build", context=project_copy)
    assert result.returncode != 0
    assert "poetry lock" in result.stderr
    assert "- Installing " not in result.stderr, "packages installed before the lock check"


def test_cache_mount_is_where_poetry_caches(dev_image: str) -> None:
    assert len(CACHE_TARGETS) == 1, f"one cache folder expected, found {CACHE_TARGETS}"
    cache_dir = docker(
        "run", "--rm", "--user", "root", dev_image, "poetry", "config", "cache-dir"
    ).stdout.strip()
    assert cache_dir.startswith(f"{next(iter(CACHE_TARGETS))}/")


def test_cache_mount_keeps_the_downloaded_wheels(prod_image: str, tmp_path: Path) -> None:
    """A later build, after a dependency change, finds every locked wheel already there."""
    target = next(iter(CACHE_TARGETS))
    (tmp_path / "Dockerfile").write_text(
        f"FROM {PYTHON_IMAGE}\n"
        # uv, which installs prod's packages, keeps each wheel unpacked, its metadata named
        # by the version.
        f"RUN --mount=type=cache,target={target} find {target}/uv -name '*.dist-info'"
        ""
        # --no-cache would hand this step a fresh, empty cache; a new command does not.
        f" # {uuid.uuid4()}\n"
    )
    result = build(f"{TEST_IMAGE}:cache-probe", context=tmp_path)
    assert result.returncode == 0, result.stderr[-4000:]
    lock = tomllib.loads((ROOT / "poetry.lock").read_text())
    locked = {p["name"]: p["version"] for p in lock["package"]}
    for name in ("flask", "gunicorn", "werkzeug"):
        assert f"/{name}-{locked[name]}.dist-info" in result.stderr, f"no cached wheel of {name}"


def test_build_context_leaves_out_junk(project_copy: Path, tmp_path: Path) -> None:
    junk = [
        ".env",
        ".git/config",
        ".venv/bin/python",
        f"{PACKAGE}/__pycache__/views.cpython-311.pyc",
        ".vscode/settings.json",
    ]
    for name in junk:
        (project_copy / name).parent.mkdir(parents=True, exist_ok=True)
        (project_copy / name).write_text("junk")
    (project_copy / "context.Dockerfile").write_text("FROM scratch\nCOPY . /\n")
    out = tmp_path / "out"
    result = docker(
        "build", "--file", str(project_copy / "context.Dockerfile"),
        "--output", f"type=local,dest={out}", str(project_copy),
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-4000:]
    seen = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()}
    assert f"{PACKAGE}/views.py" in seen
    assert "poetry.lock" in seen
    assert not seen & set(junk)


def test_dockerfile_check_finds_nothing() -> None:
    """BuildKit's own checks of the Dockerfile (`docker build --check`)."""
    result = docker("build", "--check", "--build-arg", "PYTHON_IMAGE", str(ROOT), check=False)
    if "unknown flag: --check" in result.stderr:
        pytest.fail("`docker build --check` needs Docker Engine 25 or newer with buildx")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert "no warnings found" in output, output[-4000:]


def assert_reused(log: str, steps: list[tuple[str, str]]) -> None:
    """Each (stage, step pattern) is in the build log, and CACHED."""
    for stage, step in steps:
        found = re.search(rf"^#(\d+) \[{stage} \d+/\d+\] {step}.*$", log, re.M)
        assert found, f"no {stage} step {step!r} in the build output"
        assert re.search(rf"^#{found.group(1)} CACHED$", log, re.M), (
            f"a dependency layer was rebuilt: {found.group(0)}"
        )


@pytest.mark.floor
def test_app_only_change_reuses_the_dependency_layer(prod_image: str, project_copy: Path) -> None:
    views = project_copy / PACKAGE / "views.py"
    views.write_text(views.read_text() + f"\n# {uuid.uuid4()}\n")
    result = build(f"{TEST_IMAGE}:app-change", "--target", "prod", context=project_copy)
    assert result.returncode == 0, result.stderr[-4000:]
    assert_reused(result.stderr, [BUILD_INSTALL, BACKEND_INSTALL, ("prod", r"COPY --from=build")])
    app = re.search(r"^#(\d+) \[prod \d+/\d+\] RUN .*--no-build-isolation", result.stderr, re.M)
    assert app, "no step in prod that builds the app"
    assert not re.search(rf"^#{app.group(1)} CACHED$", result.stderr, re.M), "app not rebuilt"


@pytest.mark.floor
def test_version_bump_reuses_every_dependency_layer(
    prod_image: str, dev_image: str, project_copy: Path
) -> None:
    """A release's new version and a tool's new setting change no dependency."""
    pyproject = project_copy / "pyproject.toml"
    declared = tomllib.loads(pyproject.read_text())["project"]
    bumped = f"{declared['version']}.post{uuid.uuid4().int % 1000}"
    version = re.compile(r'^version = ".*"$', re.M)
    text = version.sub(f'version = "{bumped}"', pyproject.read_text(), count=1)
    pyproject.write_text(text + '\n[tool.a-new-tool]\nsetting = "on"\n')
    for target, reused in (
        ("prod", [BUILD_INSTALL, BACKEND_INSTALL, ("prod", r"COPY --from=build")]),
        ("dev", [("dev", r"RUN .*--mount=type=cache")]),
    ):
        tag = f"{TEST_IMAGE}:bumped-{target}"
        result = build(tag, "--target", target, context=project_copy)
        assert result.returncode == 0, result.stderr[-4000:]
        assert_reused(result.stderr, reused)
    installed = docker(
        "run", "--rm", f"{TEST_IMAGE}:bumped-prod", "python3", "-c",
        f"import importlib.metadata; print(importlib.metadata.version({declared['name']!r}))",
    ).stdout.strip()  # fmt: skip
    assert installed == bumped


@pytest.mark.floor
def test_apt_leaves_no_lists_caches_or_packages(dev_image: str, tmp_path: Path) -> None:
    """On a base without Debian's docker-clean setting, as CI's and many companies' are."""
    assert apt_leftovers(dev_image, PYTHON_IMAGE, tmp_path) == []
