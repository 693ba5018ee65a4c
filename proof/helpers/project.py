"""The project's files and the facts the tests read from them: its root, the
Dockerfile's default image and settings, pyproject.toml's package and Python range."""

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text()
# The official image the Dockerfile builds on, and its Python version.
DEFAULT_IMAGE = re.search(r"^FROM (python:\S+)", DOCKERFILE, re.MULTILINE).group(1)
DEFAULT_PYTHON = re.search(r"python:(3\.\d+)", DEFAULT_IMAGE).group(1)
# The image the builds here take as their base: PYTHON_IMAGE, as for the dev container
# and compose, or else the default.
PYTHON_IMAGE = os.environ.get("PYTHON_IMAGE") or DEFAULT_IMAGE
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
REQUIRES_PYTHON = SpecifierSet(PYPROJECT["project"]["requires-python"])
# The app's import package, as pyproject.toml declares it: a team renames it.
PACKAGE = PYPROJECT["tool"]["poetry"]["packages"][0]["include"]
# The proof's own folder, and its host tools, installed beside this interpreter by proof/run.
PROOF = ROOT / "proof"
HOST_TOOLS = Path(sys.executable).parent


def readme_block(mark: str, readme: Path = ROOT / "README.md") -> str:
    """The code block a README names in its fence (```sh {#mark}): the proof finds the
    blocks it reads by these names, whatever the prose around them says."""
    name = "{#" + mark + "}"
    found = re.search(rf"^```\S* {re.escape(name)}\n(.*?)^```$", readme.read_text(), re.M | re.S)
    assert found, f"{readme.name} names no code block {name}, which the proof reads"
    return found[1]


def readme_command(mark: str, pattern: str, readme: Path = ROOT / "README.md") -> re.Match[str]:
    """How pattern matches, from its start, the first line of README's block mark that it
    matches; the line itself is the match's `string`."""
    for line in readme_block(mark, readme).splitlines():
        if found := re.match(pattern, line):
            return found
    raise AssertionError(f"no line of {readme.name}'s block {{#{mark}}} matches {pattern!r}")


def blueprint_of(views: Path) -> str:
    """The name of the Blueprint a views module defines, which new routes join."""
    found = re.search(r"^(\w+) = Blueprint\(", views.read_text(), re.MULTILINE)
    assert found, f"{views} defines no Blueprint: point the test at a module that does"
    return found.group(1)


def rename_command() -> str:
    """README's command that gives a copy from "Use this template" its names."""
    return readme_command("copy", r"python3 \S*rename\.py ").string


def drop_command() -> str:
    """README's command that drops the proof from a copy."""
    return readme_command("copy", r"rm -rf .*\bproof\b").string


def dropped_paths() -> list[str]:
    """What README's drop command removes."""
    return [word for word in shlex.split(drop_command())[1:] if not word.startswith("-")]


def text_files(folder: Path) -> dict[Path, str]:
    """The text of every file in folder, git's and npm's folders aside."""
    texts = {}
    for path in folder.rglob("*"):
        if path.is_file() and not {".git", "node_modules"} & set(path.parts):
            try:
                texts[path] = path.read_text()
            except UnicodeDecodeError:
                continue
    return texts


def merged(into: dict, extra: dict) -> dict:
    """into with extra's keys added, as a person adds a snippet's lines to a config
    file: mappings merge, lists gain the items they lack, other values are replaced."""
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            merged(into[key], value)
        elif isinstance(value, list) and isinstance(into.get(key), list):
            into[key] += [item for item in value if item not in into[key]]
        else:
            into[key] = value
    return into


def readme_jsonc(mark: str, readme: Path = ROOT / "README.md") -> tuple[dict, list[str]]:
    """The keys of README's jsonc block mark (lines of devcontainer.json), and its
    comments."""
    lines = readme_block(mark, readme).splitlines()
    comments = [
        line.strip().removeprefix("//").strip() for line in lines if line.strip().startswith("//")
    ]
    keys = [line for line in lines if not line.strip().startswith("//")]
    return json.loads("{" + "\n".join(keys) + "}"), comments


def add_readme_service(
    folder: Path, initialize: dict | None = None, service: str = "database"
) -> None:
    """README's lines for a backing service (its blocks SERVICE-compose and
    SERVICE-devcontainer), added to folder's compose.yaml and devcontainer.json as a person
    adds them; initialize, if given, in place of README's initializeCommand."""
    from proof.helpers.snippets import add_compose_lines, add_json_lines, load_snippet

    compose = folder / "compose.yaml"
    snippet = load_snippet(readme_block(f"{service}-compose"))
    compose.write_text(add_compose_lines(compose.read_text(), snippet))
    path = folder / ".devcontainer" / "devcontainer.json"
    extra = readme_jsonc(f"{service}-devcontainer")[0]
    if initialize:
        extra["initializeCommand"] = initialize
    path.write_text(add_json_lines(path.read_text(), extra))


def supported_pythons() -> list[str]:
    """Every Python version requires-python admits, up to the default image's: "3.11", ..."""
    default_minor = int(DEFAULT_PYTHON.split(".")[1])
    versions = [f"3.{minor}" for minor in range(default_minor + 1)]
    return [version for version in versions if REQUIRES_PYTHON.contains(version)]


def dockerfile_value(name: str) -> str:
    """The value the Dockerfile gives a build argument or environment variable."""
    match = re.search(rf"^(?:ARG|ENV) (?:\S+ )*{name}=(\S*)", DOCKERFILE, re.MULTILINE)
    assert match, f"the Dockerfile sets no {name}"
    return match.group(1)


def host_tool(name: str) -> str:
    path = HOST_TOOLS / name
    if not path.exists():
        pytest.fail(
            f"{name} not found beside {sys.executable}: proof/run installs it from "
            "proof/requirements.txt"
        )
    return str(path)


def project_files() -> list[str]:
    """The paths of the project's files, committed or not, but not ignored."""
    return subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip


def copy_project(into: Path) -> Path:
    """The project's files (committed or not, but not ignored) copied into a folder."""
    for name in project_files():
        if (ROOT / name).is_file():
            (into / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, into / name)
    return into


# The Kubernetes manifests a team deploys with: the web's, and the worker's in a folder.
MANIFESTS = sorted((ROOT / "deploy" / "kubernetes").rglob("*.yaml"))
WEB_MANIFEST = ROOT / "deploy" / "kubernetes" / "deployment.yaml"
WORKER_MANIFEST = ROOT / "deploy" / "kubernetes" / "worker" / "deployment.yaml"


def deployment(manifest: Path = WEB_MANIFEST) -> tuple[dict, dict]:
    """The pod spec and its one container from a Deployment manifest, the web's unless told."""
    for doc in yaml.safe_load_all(manifest.read_text()):
        if doc["kind"] == "Deployment":
            pod = doc["spec"]["template"]["spec"]
            return pod, pod["containers"][0]
    raise AssertionError(f"no Deployment in {manifest}")


def cpu_limit(container: dict) -> str:
    return str(container["resources"]["limits"]["cpu"])
