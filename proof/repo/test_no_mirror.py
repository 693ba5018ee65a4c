"""What this environment's builds use stays out of the project's files."""

import os
import re

from proof.helpers.project import ROOT


def test_no_mirror_or_login_is_written_into_the_project() -> None:
    """The mirror that this environment's builds use stays out of pyproject.toml and
    poetry.lock, and no index URL there carries a login (a team's own sources may)."""
    mirror = os.environ.get("POETRY_PYPI_MIRROR_URL", "").rstrip("/")
    for name in ("pyproject.toml", "poetry.lock"):
        text = (ROOT / name).read_text()
        assert not mirror or mirror not in text, f"{name} names the PyPI mirror"
        assert not re.search(r"://[^/\s\"']+@", text), f"{name} has a URL with a login"
