"""Prod's build checks poetry.lock's freshness without Poetry (docker/requirements.py): the
hash it computes must be the one Poetry writes, for every shape of pyproject.toml a team
may have. The dev image's Poetry, the one that writes a copy's lock, computes its own
beside it."""

import json
import shutil
from pathlib import Path

from proof.helpers.containers import dev_image_run
from proof.helpers.project import PACKAGE, ROOT

SHAPES = {
    "poetry-tables": """
[tool.poetry]
name = "svc"
version = "1.0.0"
description = ""
authors = []

[tool.poetry.dependencies]
python = "^3.11"
flask = "^3.1"

[tool.poetry.group.dev.dependencies]
pytest = ">=8"
""",
    "dependency-groups": """
[project]
name = "svc"
version = "1.0.0"
requires-python = ">=3.11"
dependencies = ["flask>=3.1"]

[dependency-groups]
dev = ["pytest>=8"]
""",
    "extras-and-a-source": """
[project]
name = "svc"
version = "1.0.0"
requires-python = ">=3.11"
dependencies = ["flask>=3.1"]

[project.optional-dependencies]
redis = ["redis>=5"]

[[tool.poetry.source]]
name = "acme"
url = "https://index.example/simple/"
priority = "supplemental"
""",
    "dynamic-dependencies": """
[project]
name = "svc"
version = "1.0.0"
requires-python = ">=3.11"
dynamic = ["dependencies"]

[tool.poetry.dependencies]
flask = "^3.1"
""",
}

# Run by the interpreter of Poetry's own venv, in a folder holding requirements.py and a
# folder per shape: Poetry's hash and the check's, by shape.
COMPARE = """
import json, tomllib
from pathlib import Path
from poetry.__version__ import __version__
from poetry.factory import Factory
import requirements

hashes = {}
for folder in sorted(p for p in Path.cwd().iterdir() if (p / "pyproject.toml").is_file()):
    pyproject = tomllib.loads((folder / "pyproject.toml").read_text())
    locker = Factory().create_poetry(folder).locker
    if not hasattr(locker, "_get_content_hash"):
        raise SystemExit(
            f"Poetry {__version__} computes the lock's hash elsewhere than "
            "Locker._get_content_hash: find it, or compare with `poetry lock`'s content-hash"
        )
    poetry = locker._get_content_hash()
    hashes[folder.name] = [poetry, requirements.content_hash(pyproject)]
print(json.dumps(hashes))
"""
# Poetry's interpreter, from the first line of the script the dev image runs as `poetry`.
POETRY_PYTHON = 'exec "$(head -n 1 "$(readlink -f "$(command -v poetry)")" | cut -c 3-)" "$@"'


def test_the_lock_check_hashes_pyproject_as_poetry_does(dev_image: str, tmp_path: Path) -> None:
    shapes = {"template": (ROOT / "pyproject.toml").read_text(), **SHAPES}
    for name, text in shapes.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "pyproject.toml").write_text(text)
    shutil.copytree(ROOT / PACKAGE, tmp_path / "template" / PACKAGE)
    shutil.copy(ROOT / "docker" / "requirements.py", tmp_path)
    (tmp_path / "compare.py").write_text(COMPARE)
    compared = dev_image_run(
        dev_image, tmp_path, "sh", "-c", POETRY_PYTHON, "sh", "compare.py", check=False
    )
    assert compared.returncode == 0, compared.stderr[-2000:]
    hashes = json.loads(compared.stdout)
    assert sorted(hashes) == sorted(shapes)
    differ = [name for name, (poetry, ours) in hashes.items() if poetry != ours]
    assert differ == [], f"docker/requirements.py's hash is not Poetry's for {differ}"
