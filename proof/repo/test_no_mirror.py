"""What this environment's builds use stays out of the project's files."""

import os
import re

from pip._internal.models.index import PyPI

from proof.helpers.project import ROOT


def written_indexes(text: str) -> list[str]:
    """The package indexes text names, the mirror this environment's builds use and pip's
    default index, and the URLs in it that carry a login (a team's own sources may be
    named, without one)."""
    indexes = {os.environ.get("POETRY_PYPI_MIRROR_URL", ""), PyPI.simple_url, PyPI.url}
    named = [url for url in {url.rstrip("/") for url in indexes if url} if url in text]
    return named + re.findall(r"\w+://[^/\s\"']+@", text)


def test_no_index_or_login_is_written_into_the_project() -> None:
    found = {
        name: written_indexes((ROOT / name).read_text())
        for name in ("pyproject.toml", "poetry.lock")
    }
    assert found == {"pyproject.toml": [], "poetry.lock": []}


def test_an_index_or_a_login_written_is_found() -> None:
    assert written_indexes(f'url = "{PyPI.simple_url}"\n')
    assert written_indexes('url = "https://team:token@packages.example/simple/"\n')
