"""What prod installs, read from poetry.lock with nothing but Python, so that the prod
image's build needs no Poetry: the main group's locked packages, each with its hashes
and markers, in requirements.txt, and the build backend's requirements in
build-requires.txt, both in TARGET_FOLDER. Fails, before any download, when
poetry.lock no longer matches pyproject.toml.

Usage: requirements.py SOURCE_FOLDER TARGET_FOLDER"""

import hashlib
import json
import re
import sys
import tomllib
from pathlib import Path

# The pyproject.toml keys whose content Poetry hashes into the lock's content-hash.
PROJECT_KEYS = ("requires-python", "dependencies", "optional-dependencies")
LEGACY_POETRY_KEYS = ("dependencies", "source", "extras", "dev-dependencies")
POETRY_KEYS = (*LEGACY_POETRY_KEYS, "group")
# Poetry hashed [dependency-groups] from this release on.
GROUPS_HASHED_SINCE = (2, 3, 0)
STALE = "poetry.lock does not match pyproject.toml: run `poetry lock` and commit poetry.lock"


def content_hash(pyproject: dict, with_groups: bool = True) -> str:
    """The hash Poetry records in poetry.lock for what pyproject.toml declares."""
    project = {k: v for k, v in pyproject.get("project", {}).items() if k in PROJECT_KEYS}
    groups = pyproject.get("dependency-groups", {}) if with_groups else {}
    poetry_table = pyproject.get("tool", {}).get("poetry", {})
    poetry = {}
    for key in POETRY_KEYS:
        # Without [project] or groups, legacy keys count even when absent.
        if key in poetry_table or (key in LEGACY_POETRY_KEYS and not (project or groups)):
            poetry[key] = poetry_table.get(key)
    content: dict = {"project": project} if project else {}
    if groups:
        content["dependency-groups"] = groups
    content = {**content, "tool": {"poetry": poetry}} if content else poetry
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def poetry_release(lock_text: str) -> tuple[int, ...]:
    """The release of Poetry that wrote the lock, from its first line."""
    found = re.search(r"Poetry (\d+)\.(\d+)\.(\d+)", lock_text.partition("\n")[0])
    return tuple(int(part) for part in found.groups()) if found else GROUPS_HASHED_SINCE


def is_fresh(pyproject: dict, lock_text: str) -> bool:
    recorded = tomllib.loads(lock_text).get("metadata", {}).get("content-hash")
    with_groups = poetry_release(lock_text) >= GROUPS_HASHED_SINCE
    return recorded == content_hash(pyproject, with_groups)


def pin(package: dict) -> str:
    """name==version, or where a package comes from no index, its URL."""
    source = package.get("source", {})
    kind = source.get("type", "legacy")
    if kind == "url":
        return f"{package['name']} @ {source['url']}"
    if kind == "git":
        folder = f"#subdirectory={source['subdirectory']}" if source.get("subdirectory") else ""
        return f"{package['name']} @ git+{source['url']}@{source['resolved_reference']}{folder}"
    if kind != "legacy":
        sys.exit(
            f"{package['name']} comes from a {kind} on this machine, which no image build sees"
        )
    return f"{package['name']}=={package['version']}"


def requirement(package: dict) -> list[str]:
    """A package's lines: its pin, its markers, its files' hashes."""
    line = pin(package)
    markers = package.get("markers", "")
    markers = markers.get("main", "") if isinstance(markers, dict) else markers
    if markers:
        line += f" ; {markers}"
    hashes = [f"--hash={file['hash']}" for file in package.get("files", [])]
    return [line, *hashes]


def requirements(lock: dict) -> str:
    main = [p for p in lock.get("package", []) if "main" in p.get("groups", ["main"])]
    # A package from another index than the default: the index joins the search, and the
    # hashes hold every file to what the lock recorded.
    sources = [package.get("source", {}) for package in main]
    indexes = sorted({source["url"] for source in sources if source.get("type") == "legacy"})
    lines = [f"--extra-index-url {url}" for url in indexes]
    for package in main:
        lines.append(" \\\n    ".join(requirement(package)))
    return "".join(f"{line}\n" for line in lines)


def main(source: Path, target: Path) -> None:
    pyproject = tomllib.loads((source / "pyproject.toml").read_text())
    lock_text = (source / "poetry.lock").read_text()
    if not is_fresh(pyproject, lock_text):
        sys.exit(STALE)
    target.mkdir(parents=True, exist_ok=True)
    (target / "requirements.txt").write_text(requirements(tomllib.loads(lock_text)))
    requires = pyproject.get("build-system", {}).get("requires", [])
    (target / "build-requires.txt").write_text("".join(f"{line}\n" for line in requires))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
