"""Copier's task, run in a copy after `copier copy` and `copier update`, and README's
rename of a copy made with "Use this template": README's parts about the template left
out, the template's project name and import package replaced by the copy's, and the
package's folder moved to the copy's name.

Usage: rename.py PROJECT_NAME PACKAGE_NAME"""

import re
import shutil
import sys
from pathlib import Path

TEMPLATE_NAME = "minimal-py-poetry"
TEMPLATE_PACKAGE = "app"
# README's parts that speak of the template, not of the service: how to start a copy.
TEMPLATE_ONLY = re.compile(r"^<!-- template-only\b.*?^<!-- /template-only -->\n\n?", re.M | re.S)
# How a file names the import package, the name as each pattern's second group: imports,
# "PACKAGE:create_app()" and "PACKAGE.cli:main", flask's --app, Poetry's include, the
# first of the files mypy checks and of the packages coverage measures, and paths.
REFERENCES = [
    r"(\b(?:from|import) )({name})\b",
    r"([\"'])({name})(?=[.:]\w)",
    r"(--app[\"',\s-]*)({name})\b",
    r"(include\s*=\s*[\"'])({name})(?=[\"'])",
    r"(^(?:files|source_pkgs)\s*=\s*\[\s*[\"'])({name})(?=[\"'])",
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


def leave_out_template_parts(root: Path) -> None:
    readme = root / "README.md"
    if readme.is_file():
        readme.write_text(TEMPLATE_ONLY.sub("", readme.read_text()))


def move_package(root: Path, package: str) -> None:
    """The template's package folder into the copy's. During an update it holds the new
    release's files, which replace the copy's as Copier replaces every other file before
    it replays the copy's own changes onto them."""
    source, target = root / TEMPLATE_PACKAGE, root / package
    if package == TEMPLATE_PACKAGE or not source.is_dir():
        return
    for path in sorted(source.rglob("*")):
        moved = target / path.relative_to(source)
        if path.is_dir():
            moved.mkdir(parents=True, exist_ok=True)
        else:
            moved.parent.mkdir(parents=True, exist_ok=True)
            path.replace(moved)
    shutil.rmtree(source)


def main(project: str, package: str) -> None:
    root = Path.cwd()
    leave_out_template_parts(root)
    rename_files(root, project, package)
    move_package(root, package)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
