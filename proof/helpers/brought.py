"""Real Flask apps that nobody here wrote, brought into a copy as README's "Bring your app"
tells a team: the examples in Flask's source distribution, downloaded from the package
index at test time (never committed), and what a team does to each by hand."""

import re
import shlex
import shutil
import subprocess
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

from proof.helpers.copies import commit_all
from proof.helpers.devcontainer import dev_container
from proof.helpers.project import host_tool, readme_command

# The source distribution whose examples/ the tests bring in, pinned as a dependency is.
FLASK_SDIST = "flask==3.1.3"
# The route README asks of an app that has none, as a team writes it where its app is.
HEALTH_ROUTE = """
@app.get("/health")
def health():
    return {"status": "ok"}
"""


@dataclass
class App:
    """An example app, and where its parts are."""

    example: str
    package: str
    # The package's folder in the example (a src layout's too), and modules at its root.
    source: str
    modules: list[str] = field(default_factory=list)
    # The file that declares its dependencies, the one README's command takes.
    dependencies: str = "pyproject.toml"
    # Whether wsgi_app calls a factory, or names an app made at import.
    factory: bool = True
    # Where a team adds the health route: a file, and the line it follows (None: the end).
    health: tuple[str, str | None] = ("", None)
    # The command its README runs before it serves (a database), if any.
    setup: list[str] = field(default_factory=list)
    # The pages and static files prod must serve, with their content types.
    pages: dict[str, str] = field(default_factory=dict)

    @property
    def project(self) -> str:
        return self.package.replace("_", "-")


def download_examples(into: Path) -> Path:
    """Flask's examples/ folder, from its source distribution on the package index."""
    subprocess.run(
        [host_tool("pip"), "download", "--quiet", "--no-deps", "--no-binary", ":all:",
         "--dest", str(into), FLASK_SDIST],
        capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    (archive,) = into.glob("flask-*.tar.gz")
    with tarfile.open(archive) as sdist:
        sdist.extractall(into, filter="data")
    (examples,) = into.glob("flask-*/examples")
    return examples


def bring(app: App, examples: Path, copy: Path) -> None:
    """The app's package, modules and tests in place of the copy's, as README says: the
    copy's test command and the test of what prod asks of any app stay."""
    origin = examples / app.example
    shutil.rmtree(copy / app.package)
    shutil.copytree(origin / app.source, copy / app.source)
    for module in app.modules:
        shutil.copy(origin / module, copy / module)
    kept = {"run", "test_served.py"}
    for path in (copy / "tests").iterdir():
        if path.name not in kept:
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    if (origin / "tests").is_dir():
        shutil.copytree(origin / "tests", copy / "tests", dirs_exist_ok=True)
    shutil.copy(origin / app.dependencies, copy / f"brought-{app.dependencies}")
    _declare_packages(app, copy)


def _declare_packages(app: App, copy: Path) -> None:
    """pyproject.toml's packages, and mypy's files for a src layout, as README shows them."""
    parent = Path(app.source).parent
    include = [
        f'{{ include = "{app.package}"'
        + (f', from = "{parent}" }}' if str(parent) != "." else " }")
    ]
    include += [f'{{ include = "{module}" }}' for module in app.modules]
    pyproject = copy / "pyproject.toml"
    text, count = re.subn(
        r"^packages = \[.*\]$", f"packages = [{', '.join(include)}]", pyproject.read_text(),
        flags=re.M,
    )  # fmt: skip
    assert count == 1, "no packages line in the copy's pyproject.toml"
    if str(parent) != ".":
        text, count = re.subn(
            rf'^(files = \[\s*"){app.package}"', rf'\g<1>{app.source}"', text, flags=re.M
        )
        assert count == 1, "no files line naming the package in the copy's pyproject.toml"
    pyproject.write_text(text)


def serve_it(app: App, copy: Path) -> None:
    """wsgi_app in gunicorn.conf.py names the app, which gains a /health route."""
    set_wsgi_app(copy, f"{app.package}:create_app()" if app.factory else f"{app.package}:app")
    path, after = app.health
    source = copy / path
    lines = source.read_text().splitlines(keepends=True)
    at = len(lines) if after is None else lines.index(after + "\n") + 1
    indent = re.match(r"\s*", lines[at - 1]).group(0) if after else ""
    route = "".join(f"{indent}{line}\n" if line else "\n" for line in HEALTH_ROUTE.splitlines())
    source.write_text("".join(lines[:at]) + route + "".join(lines[at:]))


def set_wsgi_app(copy: Path, target: str) -> None:
    """The app gunicorn.conf.py tells gunicorn to serve."""
    config = copy / "gunicorn.conf.py"
    text, count = re.subn(
        r'^wsgi_app = ".*"$', f'wsgi_app = "{target}"', config.read_text(), flags=re.M
    )
    assert count == 1, "no wsgi_app line in the copy's gunicorn.conf.py"
    config.write_text(text)


def dependencies_command(file: str) -> str:
    """README's command that adds an app's dependencies, for file."""
    words = shlex.split(readme_command("bring-your-app", r"\S*add-dependencies ").string)
    return shlex.join([*words[:-1], file])


def debt_command() -> str:
    """README's command that adopts the checks on code that was never held to them."""
    return readme_command("bring-your-app", r"\S*record-debt").string


def adopt(app: App, copy: Path) -> None:
    """README's steps in the copy's dev container once the app is in: its dependencies
    added, the checks' debt recorded; committed."""
    commit_all(copy, "the app, brought")
    with dev_container(copy) as container:
        for command in [dependencies_command(f"brought-{app.dependencies}"), debt_command()]:
            done = container.exec("bash", "-c", command)
            assert done.returncode == 0, f"{command}\n{done.stdout[-4000:]}{done.stderr[-3000:]}"
    (copy / f"brought-{app.dependencies}").unlink()
    commit_all(copy, "dependencies and linters adopted")
