"""One place for each toolchain version: the Python image, Poetry, uv and the Dev Containers
CLI are pinned once and read from there; a second copy anywhere fails here."""

import json
import re

import pytest

from proof.helpers.project import DEFAULT_IMAGE, ROOT, dockerfile_value, project_files

# What a pin of each looks like, wherever someone might write one.
PINS = {
    "python": (r"python:(3\.\d+)|python-version:\s*['\"]?(3\.\d+)", "Dockerfile"),
    "poetry": (r"poetry[=@]=?(\d+\.\d+\.\d+)|POETRY_VERSION[=:]\s*(\S+)", "Dockerfile"),
    "uv": (r"\buv[=@]=?(\d+\.\d+\.\d+)|UV_VERSION[=:]\s*(\S+)", "Dockerfile"),
    "devcontainers-cli": (r"@devcontainers/cli[\"']?[@:]\s*[\"']?(\d+\.\d+\.\d+)", "package.json"),
}
SOURCES = {
    "python": re.search(r"python:(3\.\d+)", DEFAULT_IMAGE).group(1),
    "poetry": dockerfile_value("POETRY_VERSION"),
    "uv": dockerfile_value("UV_VERSION"),
    "devcontainers-cli": json.loads((ROOT / "package.json").read_text())["devDependencies"][
        "@devcontainers/cli"
    ],
}


# The bench's figures, pasted as it printed them, name the base image they were measured
# on: a record of that run, not a pin.
RECORDS = {"proof/README.md": "### Latest figures"}


def _tracked_text_files() -> dict[str, str]:
    texts = {}
    for name in project_files():
        path = ROOT / name
        if path.is_file() and name != "package-lock.json":
            try:
                texts[name] = path.read_text()
            except UnicodeDecodeError:
                continue
            if name in RECORDS:
                texts[name] = texts[name].partition(RECORDS[name])[0]
    return texts


@pytest.mark.parametrize("tool", PINS)
def test_version_is_pinned_in_one_place(tool: str) -> None:
    pattern, source = PINS[tool]
    places = []
    for name, text in _tracked_text_files().items():
        for match in re.finditer(pattern, text):
            places.append((name, next(g for g in match.groups() if g)))
    assert places, f"no pin of {tool} found"
    assert {name for name, _ in places} == {source}, f"{tool} pinned outside {source}: {places}"
    assert {version for _, version in places} == {SOURCES[tool]}


def test_lock_of_the_cli_matches_package_json() -> None:
    lock = json.loads((ROOT / "package-lock.json").read_text())
    locked = lock["packages"]["node_modules/@devcontainers/cli"]["version"]
    assert locked == SOURCES["devcontainers-cli"], "run `npm install` after editing package.json"


def test_the_proof_runs_the_copier_the_update_workflow_installs() -> None:
    """Copier is pinned twice, as two programs need it: the copy's update workflow and the
    proof's tools (a lock of its own); the proof shows what the workflow runs."""
    workflow = (ROOT / ".github" / "workflows" / "template-update.yml").read_text()
    installs = re.search(r"COPIER_VERSION: \"?([\d.]+)", workflow)
    assert installs, "template-update.yml sets no COPIER_VERSION"
    requirements = (ROOT / "proof" / "requirements.txt").read_text()
    runs = re.search(r"^copier==([\d.]+)", requirements, re.M)
    assert runs, "proof/requirements.txt pins no copier"
    assert runs.group(1) == installs.group(1), "pin copier to one version in both files"
