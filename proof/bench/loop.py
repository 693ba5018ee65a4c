"""The everyday loop's costs next to a baseline commit's (BASELINE, required), measured
turn about: opening the dev container while it runs, reopening it after a stop, each with
nothing changed, and after a one-package change of the lock; and the test command, warm
(proof/README.md)."""

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from contextlib import ExitStack
from functools import partial
from pathlib import Path

from proof.bench.__main__ import baseline_copy, log, row
from proof.bench.machine import describe
from proof.helpers.containers import in_dev_image
from proof.helpers.copies import commit_all, git
from proof.helpers.devcontainer import DevContainer, dev_container
from proof.helpers.engine import built, remove_images
from proof.helpers.project import PYTHON_IMAGE, copy_project
from proof.helpers.shell import run_test_command

# What is measured, and how much more than the baseline's median the target allows.
TARGETS = {
    "open while it runs": 1.0,
    "reopen after a stop": 1.0,
    "reopen after a one-package lock change": 5.0,
    "test command, warm": 10.0,
}
# A small package the template's lock holds not: each change adds or removes it.
PACKAGE = "tomli-w"


def timed(action: Callable[[], subprocess.CompletedProcess[str]]) -> float:
    start = time.monotonic()
    done = action()
    seconds = time.monotonic() - start
    if done.returncode != 0:
        raise RuntimeError(done.stdout[-2000:] + done.stderr[-3000:])
    return seconds


def reopened(container: DevContainer) -> float:
    container.engine_cli("stop", "--time", "1", container.id)
    return timed(container.up)


def opens(container: DevContainer, dev_image: str, times: dict[str, list[float]]) -> None:
    times["open while it runs"].append(timed(container.up))
    times["reopen after a stop"].append(reopened(container))
    for change in ("add", "remove"):
        in_dev_image(dev_image, container.folder, "poetry", change, PACKAGE, "--lock")
        times["reopen after a one-package lock change"].append(reopened(container))


def summary(values: list[float]) -> str:
    return f"{statistics.median(values):.1f} s ({min(values):.1f}-{max(values):.1f})"


def report(header: str, baseline: str, results: dict[str, dict[str, list[float]]]) -> str:
    lines = [header, "", row("", "template", f"baseline ({baseline})", "more", "target: more <="),
             row(*["---"] * 5)]  # fmt: skip
    for kind, allowed in TARGETS.items():
        mine, theirs = results["template"][kind], results["baseline"][kind]
        more = statistics.median(mine) - statistics.median(theirs)
        verdict = "met" if more <= allowed else "**missed**"
        lines.append(row(kind, summary(mine), summary(theirs), f"{more:+.1f} s",
                         f"{allowed:g} s: {verdict}"))  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    repeats = int(os.environ.get("REPEATS", "3"))
    baseline = os.environ.get("BASELINE", "")
    if not baseline or repeats < 1:
        sys.exit("bench: BASELINE (a commit to compare with) and REPEATS >= 1 are needed")
    header = describe("proof/bench/run loop", PYTHON_IMAGE, repeats)
    results: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    with tempfile.TemporaryDirectory(prefix="bench-loop-") as folder, ExitStack() as stack:
        projects = {
            "template": copy_project(Path(folder) / "template"),
            "baseline": baseline_copy(baseline, Path(folder) / "baseline"),
        }
        # Repositories, as the test command's checks need them.
        for project in projects.values():
            git(project, "init", "--quiet")
            commit_all(project, "the service")
        try:
            dev_image = built(f"bench-loop-{os.getpid()}:dev", "--target", "dev")
            containers = {
                name: stack.enter_context(dev_container(project))
                for name, project in projects.items()
            }
            # The first run of each builds what the timed runs reuse.
            for project in projects.values():
                timed(partial(run_test_command, project))
            for repeat in range(1, repeats + 1):
                log(f"loop: repeat {repeat} of {repeats}")
                for name, container in containers.items():
                    opens(container, dev_image, results[name])
                    seconds = timed(partial(run_test_command, projects[name]))
                    results[name]["test command, warm"].append(seconds)
        except (AssertionError, RuntimeError, subprocess.SubprocessError) as error:
            sys.exit(f"bench: {error}")
        finally:
            stack.close()
            for project in projects.values():
                remove_images("docker", f"vsc-{project.name}")
            remove_images("docker", f"bench-loop-{os.getpid()}")
    print(report(header + " Each cell: the median (min-max).", baseline, results))


if __name__ == "__main__":
    main()
