"""The part of pyproject.toml that decides what the dev image installs, written to a
folder of its own: a pyproject.toml with only the keys poetry.lock's hash covers (and the
project's name, at a fixed version), and poetry.lock beside it. A new version or a tool's
setting leaves these files, and so the dependency layer built from them, as they were.

Usage: dev_lock.py SOURCE_FOLDER TARGET_FOLDER"""

import shutil
import sys
import tomllib
from pathlib import Path

import tomlkit

PROJECT_KEYS = ("name", "requires-python", "dependencies", "optional-dependencies")
POETRY_KEYS = ("name", "package-mode", "requires-poetry", "dependencies", "dev-dependencies")
POETRY_KEYS += ("group", "source", "extras")
# What [project] may leave to [tool.poetry] for the keys above.
DYNAMIC = {"dependencies", "optional-dependencies", "requires-python"}


def kept(table: dict, keys: tuple[str, ...]) -> dict:
    return {key: table[key] for key in keys if key in table}


def trimmed(pyproject: dict) -> dict:
    project = kept(pyproject.get("project", {}), PROJECT_KEYS)
    poetry = kept(pyproject.get("tool", {}).get("poetry", {}), POETRY_KEYS)
    if project:
        project["version"] = "0"
        dynamic = [key for key in pyproject["project"].get("dynamic", []) if key in DYNAMIC]
        if dynamic:
            project["dynamic"] = dynamic
    else:
        poetry["version"] = "0"
    tables = {
        "project": project,
        "dependency-groups": pyproject.get("dependency-groups", {}),
        "tool": {"poetry": poetry},
    }
    return {name: table for name, table in tables.items() if table}


def main(source: Path, target: Path) -> None:
    pyproject = tomllib.loads((source / "pyproject.toml").read_text())
    target.mkdir(parents=True, exist_ok=True)
    (target / "pyproject.toml").write_text(tomlkit.dumps(trimmed(pyproject)))
    shutil.copy(source / "poetry.lock", target / "poetry.lock")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
