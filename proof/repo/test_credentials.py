"""The dev container's host step, .devcontainer/credentials: whatever netrc it is given,
it writes one that pip, uv and Poetry read, keeps the user's own entries, names what it
leaves out without its words, and never stops the container from opening."""

import netrc
import os
import subprocess
from pathlib import Path

from proof.helpers.project import ROOT
from proof.helpers.users import netrc_line, netrc_word

SCRIPT = ROOT / ".devcontainer" / "credentials"
# Every printable character that is not a letter or digit, a space among them.
ODD_PASSWORD = "pw !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ end"  # noqa: S105 -- a made-up login


def _gather(home: Path, **env: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    out = home / "out" / "netrc"
    result = subprocess.run(
        ["bash", str(SCRIPT), str(out)],
        env={"PATH": os.environ["PATH"], "HOME": str(home), **env},
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    return result, out


def _logins(path: Path) -> dict[str, tuple[str, str]]:
    return {
        host: (login, password) for host, (login, _, password) in netrc.netrc(path).hosts.items()
    }


def test_user_netrc_in_any_layout_is_written_so_that_python_reads_it(tmp_path: Path) -> None:
    (tmp_path / ".netrc").write_text(
        "# the user's own file, saved on Windows\r\n"
        "machine a.example.com login alice password plain\r\n"
        "machine b.example.com\r\n"
        "    login bob\r\n"
        f"    password {netrc_word(ODD_PASSWORD)}\r\n"
    )
    result, out = _gather(tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert _logins(out) == {
        "a.example.com": ("alice", "plain"),
        "b.example.com": ("bob", ODD_PASSWORD),
    }
    assert out.stat().st_mode & 0o077 == 0, "readable by others"


def test_index_netrc_adds_to_the_users_entries_and_bad_entries_are_named(
    tmp_path: Path,
) -> None:
    user_netrc = tmp_path / "elsewhere.netrc"
    user_netrc.write_text("machine git.example.com login me password mine\n")
    variable = (
        netrc_line("pypi.acme.example", "ci", ODD_PASSWORD)
        + "machine broken.example login ci password two words\n"
        + "machine nopassword.example login ci\n"
    )
    result, out = _gather(tmp_path, NETRC=str(user_netrc), INDEX_NETRC=variable)
    assert result.returncode == 0, "a bad entry must not stop the dev container"
    assert _logins(out) == {
        "git.example.com": ("me", "mine"),
        "pypi.acme.example": ("ci", ODD_PASSWORD),
    }
    reported = result.stderr.splitlines()
    assert len(reported) == 2, result.stderr
    assert all(line.startswith("INDEX_NETRC, line ") for line in reported)
    assert "double quotes" in reported[0]
    assert "two" not in result.stderr, "a word of the password was shown"


def test_no_logins_give_an_empty_file(tmp_path: Path) -> None:
    result, out = _gather(tmp_path)
    assert result.returncode == 0, result.stderr
    assert out.read_text() == ""
