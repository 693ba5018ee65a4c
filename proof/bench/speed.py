"""Cold builds at uv's speed: the template's prod beside the uv-style one, turn about, on
the engine `docker` reaches and the base PYTHON_IMAGE names, with the dev container's
cold build beside BASELINE's, and the steps that take each build's time: proof/README.md."""

import os
import re
import statistics
from collections import defaultdict
from pathlib import Path

from proof.bench.__main__ import (
    BASE,
    SOURCES,
    bench_copies,
    log,
    preflight,
    row,
    start,
    timed_build,
)
from proof.bench.machine import describe
from proof.helpers.engine import docker
from proof.helpers.http import free_loopback_port
from proof.helpers.project import PACKAGE

SOURCES["baseline-dev"] = SOURCES["dev"]
# The limits point 2 of proof/README's targets sets, template over the other, by medians.
LIMITS = {"cold_s": 1.0, "app_s": 0.6, "start_ms": 1.05}
DEV_LIMIT = 1.05
ROWS = [  # label, metric, unit, digits
    ("cold build of prod (`--no-cache`)", "cold_s", " s", 2),
    ("rebuild after an app-only change", "app_s", " s", 2),
    ("`docker start` to first 200 on /health", "start_ms", " ms", 0),
]
# BuildKit's plain progress: each step's first line, and its time when it ends.
FIRST_LINE = re.compile(r"^#(\d+) (.+)$", re.MULTILINE)
DONE = re.compile(r"^#(\d+) DONE ([\d.]+)s$", re.MULTILINE)
MOUNTS = re.compile(r"--mount=\S+\s*")
SHOWN_STEPS = 6
# One start varies by about 15% from the next: each round starts each image this often, turn
# about, once both are built.
STARTS = 3


def step_label(title: str) -> str:
    """ "stage k/n: command", the mounts left out, a heredoc by its first line."""
    title = MOUNTS.sub("", title)
    if heredoc := re.search(r"^(\[[^\]]+\] RUN ).*<<EOF \((.*)\)$", title):
        title = heredoc[1] + heredoc[2]
    return title[:80]


def step_times(output: str) -> dict[str, float]:
    """Seconds of each step of one build, exporting the image included, FROM and the
    loading of the Dockerfile and context left out."""
    titles: dict[str, str] = {}
    for number, line in FIRST_LINE.findall(output):
        titles.setdefault(number, line)
    times: dict[str, float] = defaultdict(float)
    for number, seconds in DONE.findall(output):
        title = titles.get(number, "")
        if title.startswith("[") and "] FROM " not in title and "[internal]" not in title:
            times[step_label(title)] += float(seconds)
        elif title.startswith(("exporting", "naming", "unpacking")):
            times[title] += float(seconds)
    return times


class Results:
    def __init__(self) -> None:
        self.values: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
        self.steps: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))

    def cold(self, copy: Path, image: str) -> None:
        seconds, output = timed_build(copy, image, "--no-cache")
        self.values[image]["cold_s"].append(seconds)
        for step, taken in step_times(output).items():
            self.steps[image][step].append(taken)
        log(f"{image}: cold {seconds:.2f} s")

    def app_only(self, copy: Path, image: str, round_: int) -> None:
        with (copy / PACKAGE / "views.py").open("a") as views:
            views.write(f"# {image} {round_} {os.getpid()}\n")
        seconds, output = timed_build(copy, image)
        self.values[image]["app_s"].append(seconds)
        for step, taken in step_times(output).items():
            self.steps[f"{image}, app-only"][step].append(taken)
        log(f"{image}: app-only rebuild {seconds:.2f} s")

    def started(self, image: str) -> None:
        port = free_loopback_port()
        cid, seconds = start(image, port, "--publish", f"127.0.0.1:{port}:8000")
        docker("rm", "--force", cid)
        self.values[image]["start_ms"].append(1000 * seconds)

    def median(self, image: str, metric: str) -> float:
        return statistics.median(self.values[image][metric])

    def cell(self, image: str, metric: str, unit: str, digits: int) -> str:
        values = self.values[image][metric]
        spread = f" ({min(values):,.{digits}f}-{max(values):,.{digits}f})"
        return f"{statistics.median(values):,.{digits}f}{unit}{spread}"


def report(results: Results, machine: str, baseline: str) -> str:
    lines = [machine, "", row("", "template", "uv-style", "template / uv-style", "limit", "met")]
    lines.append(row(*["---"] * 6))
    for label, metric, unit, digits in ROWS:
        ratio = results.median("template", metric) / results.median("uv-style", metric)
        cells = (results.cell(image, metric, unit, digits) for image in ("template", "uv-style"))
        met = "yes" if ratio <= LIMITS[metric] else "**no**"
        lines.append(row(label, *cells, f"{ratio:.2f}", f"<= {LIMITS[metric]}", met))
    dev = results.cell("dev", "cold_s", " s", 1)
    if baseline:
        ratio = results.median("dev", "cold_s") / results.median("baseline-dev", "cold_s")
        met = "yes" if ratio <= DEV_LIMIT else "**no**"
        old = results.cell("baseline-dev", "cold_s", " s", 1)
        lines.append(
            row(
                f"dev cold build, template / {baseline}",
                dev,
                old,
                f"{ratio:.2f}",
                f"<= {DEV_LIMIT}",
                met,
            )
        )
    else:
        lines.append(row("dev cold build (`--target dev --no-cache`)", dev, "", "", "", ""))
    for build, steps in results.steps.items():
        slowest = sorted(steps, key=lambda step: -statistics.median(steps[step]))[:SHOWN_STEPS]
        kind = build if "," in build else f"{build}, cold"
        lines += ["", row(f"slowest steps: {kind}", "seconds"), row("---", "---")]
        lines += [row(f"`{step}`", f"{statistics.median(steps[step]):.2f}") for step in slowest]
    return "\n".join(lines)


def main() -> None:
    repeats = int(os.environ.get("REPEATS", "5"))
    baseline = os.environ.get("BASELINE", "")
    preflight(("docker",))
    machine = describe("proof/bench/run speed", BASE, repeats) + " Each cell: median (min-max)."
    results = Results()
    with bench_copies(baseline) as (copy, old):
        for round_ in range(1, repeats + 1):
            log(f"round {round_} of {repeats}")
            order = ("template", "uv-style") if round_ % 2 else ("uv-style", "template")
            for image in order:
                results.cold(copy, image)
                results.app_only(copy, image, round_)
            for _ in range(STARTS):
                for image in order:
                    results.started(image)
            results.cold(copy, "dev")
            if old:
                results.cold(old, "baseline-dev")
        print(report(results, machine, baseline))


if __name__ == "__main__":
    main()
