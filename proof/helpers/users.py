"""The host user as containers see them, and their package index logins (netrc)."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

# The host user's package index logins, which builds take as their `netrc` secret, as
# the dev container's do (.devcontainer/credentials).
HOST_NETRC = Path(os.environ.get("NETRC", Path.home() / ".netrc"))
# Containers that write into a host folder run as the host user, so the files stay theirs.
HOST_USER = f"{os.getuid()}:{os.getgid()}"


def openssl(*args: str, stdin: str | None = None) -> str:
    """What the host's openssl prints for args, given stdin."""
    if shutil.which("openssl") is None:
        pytest.fail("openssl not found: install it (Debian and Ubuntu: apt-get install openssl)")
    return subprocess.run(
        ["openssl", *args], input=stdin, capture_output=True, text=True, check=True
    ).stdout


def netrc_word(word: str) -> str:
    """A netrc word that may hold any printable character: in double quotes, with a
    backslash before each quote and backslash, as pip, uv and Poetry read it."""
    return '"' + word.replace("\\", "\\\\").replace('"', '\\"') + '"'


def netrc_line(host: str, login: str, password: str) -> str:
    return f"machine {host} login {netrc_word(login)} password {netrc_word(password)}\n"
