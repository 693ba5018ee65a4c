"""A team's first week, on a copy: the package renamed by README's checklist, a runtime
and a dev dependency added, a console script declared, and a private source declared
in a TOML spelling of the team's own. Then dev and prod build, the dev container opens
and passes the app tests, prod serves and runs the script."""

import re
from pathlib import Path

import pytest

from proof.helpers.engine import (
    built,
    dev_container,
    docker,
    in_dev_image,
    running,
    wait_until_serving,
)
from proof.helpers.http import free_loopback_port
from proof.helpers.project import PACKAGE, ROOT, copy_project

NEW_NAME = "acme_web"
# How a file names the import package, each with the name as its second group:
# imports, "PACKAGE:create_app()", flask's --app, Poetry's include, and paths.
REFERENCES = [
    r"(\b(?:from|import) )({name})\b",
    r"([\"'])({name})(?=:\w)",
    r"(--app[\"',\s-]*)({name})\b",
    r"(include\s*=\s*[\"'])({name})(?=[\"'])",
    r"(^!?|[\s\"'])({name})(?=/)",
]
SCRIPT = "hello"


def _checklist() -> list[str]:
    """The files and folders that README's rename item names."""
    item = re.search(r"^- \*\*Rename the project.*?(?=^- \*\*)", _readme(), re.M | re.S)
    assert item, "README has no 'Rename the project' item under Make it yours"
    named = re.findall(r"`([^`\s]+)`", item.group(0))
    return [name for name in named if (ROOT / name.rstrip("/")).exists()]


def _readme() -> str:
    return (ROOT / "README.md").read_text()


def _references(text: str, name: str) -> list[str]:
    return [m.group(0) for p in REFERENCES for m in re.finditer(p.format(name=name), text, re.M)]


def _rename(folder: Path) -> set[str]:
    """Rename the package in the files README lists; return those it changed."""
    changed = set()
    for listed in _checklist():
        paths = [folder / listed] if (folder / listed).is_file() else (folder / listed).rglob("*")
        for path in paths:
            if not path.is_file() or path.suffix == ".md":
                continue
            text = path.read_text()
            for pattern in REFERENCES:
                text = re.sub(pattern.format(name=PACKAGE), rf"\g<1>{NEW_NAME}", text, flags=re.M)
            if text != path.read_text():
                path.write_text(text)
                changed.add(listed)
    (folder / PACKAGE).rename(folder / NEW_NAME)
    return changed


def _declare_script_and_source(folder: Path) -> None:
    (folder / NEW_NAME / "cli.py").write_text(
        f'def main() -> None:\n    print("{SCRIPT} from {NEW_NAME}")\n'
    )
    pyproject = folder / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            "[tool.poetry]\n",
            f'[project.scripts]\n{SCRIPT} = "{NEW_NAME}.cli:main"\n\n[tool.poetry]\n',
        )
        # Single quotes, the URL first, indented keys: valid TOML as a person writes it.
        + "\n[[tool.poetry.source]]\n"
        f"  url = 'http://127.0.0.1:{free_loopback_port()}/simple/'\n"
        "  name='acme-corp'\n"
        '  priority = "supplemental"\n'
    )


@pytest.fixture(scope="module")
def changed(dev_image: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, set[str]]:
    """The copy after the first week's changes, and the checklist files the rename changed."""
    folder = copy_project(tmp_path_factory.mktemp("first-week"))
    folder.chmod(0o755)
    renamed = _rename(folder)
    _declare_script_and_source(folder)
    in_dev_image(
        dev_image, folder, "sh", "-c",
        "poetry lock && poetry add --lock six && poetry add --lock --group dev tomli-w",
    )  # fmt: skip
    return folder, renamed


def test_readme_checklist_names_every_file_the_rename_touches(
    changed: tuple[Path, set[str]],
) -> None:
    folder, renamed = changed
    assert set(_checklist()) - {f"{PACKAGE}/"} <= renamed, "a listed file names no package"
    missed = []
    for path in folder.rglob("*"):
        if path.is_file() and path.suffix != ".md" and ".git" not in path.parts:
            missed += [
                f"{path.relative_to(folder)}: {r}" for r in _references(path.read_text(), PACKAGE)
            ]
    assert missed == [], "README's rename checklist leaves these out"


def test_prod_serves_and_runs_the_console_script(changed: tuple[Path, set[str]]) -> None:
    folder, _ = changed
    image = built("minimal-py-poetry-test:first-week-prod", "--target", "prod", context=folder)
    assert docker("run", "--rm", image, SCRIPT).stdout.strip() == f"{SCRIPT} from {NEW_NAME}"
    assert docker("run", "--rm", image, "python3", "-c", "import six").returncode == 0
    with running(image) as server:
        wait_until_serving(server)


def test_dev_container_opens_passes_the_app_tests_and_runs_the_script(
    changed: tuple[Path, set[str]],
) -> None:
    folder, _ = changed
    with dev_container(folder) as container:
        tests = container.exec("pytest")
        assert tests.returncode == 0, tests.stdout[-4000:] + tests.stderr[-2000:]
        script = container.exec(SCRIPT)
        assert script.stdout.strip() == f"{SCRIPT} from {NEW_NAME}", script.stderr
        imports = container.exec("python", "-c", "import six, tomli_w")
        assert imports.returncode == 0, imports.stderr
