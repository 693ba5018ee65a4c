"""A team's changes to a copy, which several tests make: its names, a console script and a
private package source; and where a copy still names the template's project or package."""

import ast
import re
import tomllib
from pathlib import Path

from proof.helpers import project
from proof.helpers.http import free_loopback_port

PROJECT, PACKAGE = "acme-web", "acme_web"
SCRIPT = "hello"


def template_names_left(folder: Path) -> list[str]:
    """Where the text files that a copy in folder keeps (not what README's drop removes)
    still name the template's project or its package as a module, found without the
    rename's own patterns: the project's name anywhere; the package in Python's imports
    and as a value of pyproject.toml (as parsed: Poetry's packages, the type check's files,
    coverage's packages), as the first part of a path, of an import string
    ("PACKAGE:create_app()", "PACKAGE.cli:main") or of one of the team's modules
    (PACKAGE.views), or after flask's --app."""
    project_name, package = project.PYPROJECT["project"]["name"], project.PACKAGE
    modules = "|".join(path.stem for path in (folder / PACKAGE).glob("*.py"))
    edge = r"(?<![\w./-])"
    patterns = [
        rf"{edge}{package}/",
        rf"{edge}{package}(\.\w+)*:\w",
        rf"{edge}{package}\.({modules})\b",
        rf"--app[\s\"',=]+{package}\b",
    ]
    dropped = [folder / name for name in project.dropped_paths()]
    found = []
    for path, text in project.text_files(folder).items():
        where = path.relative_to(folder)
        if any(path == gone or gone in path.parents for gone in dropped):
            continue
        found += [f"{where}: {project_name}"] * (project_name in text)
        found += [f"{where}: {m.group(0)}" for p in patterns for m in re.finditer(p, text)]
        if path.name == "pyproject.toml":
            found += [f"{where}: {key} = {package!r}" for key, v in _values(text) if v == package]
        if path.suffix == ".py":
            found += [
                f"{where}: import {name}"
                for name in _imports(text)
                if name.split(".")[0] == package
            ]
    return found


def _values(pyproject: str) -> list[tuple[str, object]]:
    """Every value of a pyproject.toml, in lists and tables too, with its key."""
    found: list[tuple[str, object]] = []

    def walk(key: str, value: object) -> None:
        if isinstance(value, dict):
            for name, inner in value.items():
                walk(f"{key}.{name}".lstrip("."), inner)
        elif isinstance(value, list):
            for inner in value:
                walk(key, inner)
        else:
            found.append((key, value))

    walk("", tomllib.loads(pyproject))
    return found


def _imports(source: str) -> list[str]:
    """The modules a Python source imports."""
    names = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


SCRIPT_TEST = f"""import pytest

from {PACKAGE} import cli


def test_main_greets(capsys: pytest.CaptureFixture[str]) -> None:
    cli.main()
    assert capsys.readouterr().out == "{SCRIPT} from {PACKAGE}\\n"
"""


def declare_script_and_source(folder: Path) -> None:
    """A console script in the team's package and its test (the coverage floor asks for
    one), and a private source in TOML of its own."""
    (folder / PACKAGE / "cli.py").write_text(
        f'def main() -> None:\n    print("{SCRIPT} from {PACKAGE}")\n'
    )
    (folder / "tests" / "test_cli.py").write_text(SCRIPT_TEST)
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
