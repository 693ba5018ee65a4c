"""Copier's task, run in a copy after `copier copy` and `copier update`: the template's
project name and import package replaced by the copy's. The package's folder is moved
into the copy's; after an update, the release's new files there join the copy's.

Usage: rename.py PROJECT_NAME PACKAGE_NAME"""

import re
import shutil
import sys
from pathlib import Path

TEMPLATE_NAME = "minimal-py-poetry"
TEMPLATE_PACKAGE = "app"
# How a file names the import package, the name as each pattern's second group: imports,
# "PACKAGE:create_app()", flask's --app, Poetry's include, and paths.
REFERENCES = [
    r"(\b(?:from|import) )({name})\b",
    r"([\"'])({name})(?=:\w)",
    r"(--app[\"',\s-]*)({name})\b",
    r"(include\s*=\s*[\"'])({name})(?=[\"'])",
    r"(^!?|[\s\"'])({name})(?=/)",
]


def renamed(text: str, project: str, package: str) -> str:
    text = text.replace(TEMPLATE_NAME, project)
    for pattern in REFERENCES:
        text = re.sub(pattern.format(name=TEMPLATE_PACKAGE), rf"\g<1>{package}", text, flags=re.M)
    return text


def rename_files(root: Path, project: str, package: str) -> None:
    for path in root.rglob("*"):
        if ".git" in path.parts or not path.is_file():
            continue
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        if (new := renamed(text, project, package)) != text:
            path.write_text(new)


def move_package(root: Path, package: str) -> None:
    """The template's package folder into the copy's, keeping what the copy has."""
    source, target = root / TEMPLATE_PACKAGE, root / package
    if package == TEMPLATE_PACKAGE or not source.is_dir():
        return
    for path in sorted(source.rglob("*")):
        moved = target / path.relative_to(source)
        if path.is_dir():
            moved.mkdir(parents=True, exist_ok=True)
        elif not moved.exists():
            moved.parent.mkdir(parents=True, exist_ok=True)
            path.rename(moved)
    shutil.rmtree(source)


def main(project: str, package: str) -> None:
    root = Path.cwd()
    rename_files(root, project, package)
    move_package(root, package)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
