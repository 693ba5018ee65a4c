"""Bash commands in a folder with the engines' environment: README's test command in a
copy of the project, and what a failed one printed."""

import re
import subprocess
from pathlib import Path

from proof.helpers.engine import DOCKER_ENV
from proof.helpers.project import readme_command


def run_in(
    folder: Path, command: str, timeout: float, **env: str
) -> subprocess.CompletedProcess[str]:
    """A bash command in folder, with the engine's environment and env; a failure is
    returned."""
    return subprocess.run(
        ["bash", "-c", command], cwd=folder, env={**DOCKER_ENV, **env},
        capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip


def run_test_command(folder: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """README's test command, in a copy of the project, with env added."""
    return run_in(folder, readme_command("test", r"tests/run\b").string, timeout=1500, **env)


def failed_phase(result: subprocess.CompletedProcess[str]) -> str:
    """What a failed test command printed in the phase it failed in, from its start (a
    lint hook's name comes first, and a long diff after it), and its last errors."""
    lines = result.stdout.splitlines()
    started = [i for i, line in enumerate(lines) if re.fullmatch(r"=== [^:]+", line)]
    phase = "\n".join(lines[started[-1] :] if started else lines)
    head = phase if len(phase) <= 6000 else phase[:4000] + "\n[...]\n" + phase[-2000:]
    return head + "\n" + result.stderr[-3000:]
