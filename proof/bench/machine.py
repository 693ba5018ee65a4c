"""The first lines of a bench report: what was measured, where and when, so that the
figures pasted into proof/README.md carry them."""

import os
import platform
import re
import subprocess
import time
from pathlib import Path

from proof.helpers.engine import docker
from proof.helpers.project import ROOT

SETTINGS = ("BASELINE", "DEV_BASELINE_S", "PYTHON_IMAGE")


def _commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()

    changed = (
        " with uncommitted changes" if git("status", "--porcelain", "--untracked-files=no") else ""
    )
    return f"{git('rev-parse', '--short', 'HEAD')}{changed}"


def describe(command: str, base: str, repeats: int) -> str:
    """Markdown lines: the command and its settings, the commit, the date, the machine,
    the engine and the base image."""
    settings = [f"{name}={os.environ[name]}" for name in SETTINGS if os.environ.get(name)]
    memory = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())[1]) / 2**20
    engine = docker(
        "info", "--format", "{{.ServerVersion}}, storage driver {{.Driver}}, {{.OperatingSystem}}"
    ).stdout.strip()
    base_id = docker("image", "inspect", "--format", "{{.Id}}", base).stdout.strip()
    return "\n".join(
        [
            f"Command: `{' '.join([*settings, f'REPEATS={repeats}', command])}`, at commit"
            f" {_commit()},"
            f" {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
            f"Machine: {platform.system()} {platform.release()}, nproc"
            f" {len(os.sched_getaffinity(0))}, {memory:.1f} GiB; Docker engine {engine};"
            f" base image `{base}` ({base_id[:19]}).",
        ]
    )
