"""A team's changes to a copy, which several tests make: its names, a console script and a
private package source, and the patterns by which files name the import package."""

import re
from pathlib import Path

from proof.helpers import project
from proof.helpers.http import free_loopback_port

PROJECT, PACKAGE = "acme-web", "acme_web"
SCRIPT = "hello"
# How a file names the import package, each with the name as its second group:
# imports, "PACKAGE:create_app()", flask's --app, Poetry's include, and paths.
REFERENCES = [
    r"(\b(?:from|import) )({name})\b",
    r"([\"'])({name})(?=:\w)",
    r"(--app[\"',\s-]*)({name})\b",
    r"(include\s*=\s*[\"'])({name})(?=[\"'])",
    r"(^!?|[\s\"'])({name})(?=/)",
]


def references(text: str, name: str) -> list[str]:
    """What in text names the import package name."""
    return [m.group(0) for p in REFERENCES for m in re.finditer(p.format(name=name), text, re.M)]


def template_names_left(folder: Path) -> list[str]:
    """Where the text files in folder still name the template's project or package."""
    name = project.PYPROJECT["project"]["name"]
    return [
        f"{path.relative_to(folder)}: {found}"
        for path, text in project.text_files(folder).items()
        for found in [name] * (name in text) + references(text, project.PACKAGE)
    ]


def declare_script_and_source(folder: Path) -> None:
    """A console script in the team's package, and a private source in TOML of its own."""
    (folder / PACKAGE / "cli.py").write_text(
        f'def main() -> None:\n    print("{SCRIPT} from {PACKAGE}")\n'
    )
    pyproject = folder / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            "[tool.poetry]\n",
            f'[project.scripts]\n{SCRIPT} = "{PACKAGE}.cli:main"\n\n[tool.poetry]\n',
        )
        # Single quotes, the URL first, indented keys: valid TOML as a person writes it.
        + "\n[[tool.poetry.source]]\n"
        f"  url = 'http://127.0.0.1:{free_loopback_port()}/simple/'\n"
        "  name='acme-corp'\n"
        '  priority = "supplemental"\n'
    )
