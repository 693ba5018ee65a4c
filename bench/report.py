"""Turns bench/run's raw results into the Markdown report: medians, targets, slow steps.

Usage: report.py RESULTS.tsv LOG_DIR (RESULTS: "subject<TAB>metric<TAB>value" lines).
"""

import re
import statistics
import sys
from collections import defaultdict
from pathlib import Path

IMAGES = ("template", "naive")
MB = 1e6
# (row label, metric, unit, digits)
TIMING_ROWS = [
    ("cold build (`--no-cache`)", "cold_s", "s", 1),
    ("rebuild after an app-only change", "app_s", "s", 2),
    ("rebuild after adding one dependency", "dependency_s", "s", 1),
    ("`docker start` to first 200 on /health", "start_ms", "ms", 0),
    ("... of which the `docker start` command itself", "start_engine_ms", "ms", 0),
    ("`docker stop`", "stop_s", "s", 2),
]


def load(path: Path) -> dict[str, dict[str, list[str]]]:
    results: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for line in path.read_text().splitlines():
        subject, metric, value = line.split("\t", 2)
        results[subject][metric].append(value)
    return results


def numbers(results: dict, image: str, metric: str) -> list[float]:
    return [float(v) for v in results[image][metric]]


def median(results: dict, image: str, metric: str) -> float:
    return statistics.median(numbers(results, image, metric))


def spread(values: list[float], unit: str, digits: int) -> str:
    """The median, and the range when there was more than one run."""
    text = f"{statistics.median(values):,.{digits}f} {unit}".rstrip()
    if len(values) > 1:
        text += f" ({min(values):,.{digits}f}-{max(values):,.{digits}f})"
    return text


def measured(results: dict, metric: str, unit: str, digits: int) -> list[str]:
    """One cell per image, in column order; a dash where it was not measured."""
    cells = []
    for image in IMAGES:
        values = numbers(results, image, metric)
        cells.append(spread(values, unit, digits) if values else "-")
    return cells


def dependencies_reused(results: dict, image: str) -> tuple[bool, str]:
    """True when every run reused every dependency step; the counts as text."""
    runs = results[image]["app_dependencies_reused"]
    every = all(r.split("/")[0] == r.split("/")[1] != "0" for r in runs)
    return every, ("yes" if every else "no") + f" ({', '.join(sorted(set(runs)))} steps)"


def workers(results: dict, setting: str) -> str:
    """gunicorn's worker count per image, as its logs reported it."""
    counts = [",".join(sorted(set(results[i][f"workers_{setting}"]))) or "-" for i in IMAGES]
    return " / ".join(counts)


def machine(results: dict) -> str:
    m = {k: v[0] for k, v in results["machine"].items()}
    return (
        f"Machine: {m['cpus']} CPUs (nproc), {m['memory']}, {m['kernel']}, "
        f"Docker engine {m['docker']}, {m['date']}. Base image `{m['base']}` for both; "
        f"medians of {m['repeats']} runs, range in brackets; `{m['wrk']}` on /health."
    )


def size_rows(results: dict) -> list[list[str]]:
    base = median(results, "base", "size_bytes")
    sizes = [median(results, image, "size_bytes") for image in IMAGES]
    return [
        ["prod image size", *(f"{s / MB:.1f} MB" for s in sizes)],
        ["bytes added over the base image", *(f"{(s - base) / MB:.2f} MB" for s in sizes)],
    ]


def timing_rows(results: dict) -> list[list[str]]:
    rows = []
    for label, metric, unit, digits in TIMING_ROWS:
        rows.append([label, *measured(results, metric, unit, digits)])
        if metric == "app_s":
            reused = [dependencies_reused(results, image)[1] for image in IMAGES]
            rows.append(["... every dependency layer reused", *reused])
    return rows


# The template's settings, the same without the access log (the template's image
# only: the naive one shares gunicorn.conf.py), and gunicorn's own defaults.
THROUGHPUT_SETTINGS = [
    ("default", "default settings"),
    ("quiet", "default settings, access log off"),
    ("single", "gunicorn's defaults"),
]


def throughput_rows(results: dict) -> list[list[str]]:
    rows = []
    for setting, name in THROUGHPUT_SETTINGS:
        label = f"req/s, {name} (workers: {workers(results, setting)})"
        rows.append([label, *measured(results, f"rps_{setting}", "", 0)])
        rows.append([f"p99 latency, {name}", *measured(results, f"p99_ms_{setting}", "ms", 2)])
    return rows


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def target_checks(results: dict, image: str) -> list[tuple[bool, str]]:
    """(met, measured value) for each target, in TARGETS order."""

    def m(metric: str) -> float:
        return median(results, image, metric)

    over = (m("size_bytes") - median(results, "base", "size_bytes")) / MB
    reused, reused_text = dependencies_reused(results, image)
    ratio = m("rps_default") / m("rps_single")
    p99, p99_single = m("p99_ms_default"), m("p99_ms_single")
    return [
        (over <= 8, f"{over:.2f} MB"),
        (m("cold_s") <= 10, f"{m('cold_s'):.1f} s"),
        (m("app_s") <= 0.5 and reused, f"{m('app_s'):.2f} s, reused: {reused_text}"),
        (m("dependency_s") <= 2.5, f"{m('dependency_s'):.1f} s"),
        (m("start_ms") <= 300, f"{m('start_ms'):,.0f} ms"),
        (m("stop_s") <= 1, f"{m('stop_s'):.2f} s"),
        (ratio >= 1.5 and p99 <= p99_single, f"{ratio:.2f}x, p99 {p99:.2f} vs {p99_single:.2f} ms"),
    ]


TARGETS = [
    "bytes over base <= 8 MB",
    "cold build <= 10 s",
    "app-only rebuild <= 0.5 s, every dependency layer reused",
    "one-dependency rebuild <= 2.5 s",
    "start to first 200 <= 300 ms",
    "stop <= 1 s",
    "default settings >= 1.5x the req/s of gunicorn's defaults, p99 no worse",
]


def target_rows(results: dict) -> list[list[str]]:
    checks = {image: target_checks(results, image) for image in IMAGES}
    rows = []
    for n, name in enumerate(TARGETS):
        verdicts = [checks[image][n] for image in IMAGES]
        rows.append([name, *(("met" if met else "**missed**") + f" ({v})" for met, v in verdicts)])
    return rows


def slowest_steps(log: Path, count: int = 3) -> list[str]:
    """The steps that took longest in one build log of BuildKit's plain progress."""
    titles, seconds, cached = {}, {}, set()
    for line in log.read_text(errors="replace").splitlines():
        if found := re.match(r"^#(\d+) (\[(?!internal\]).*)$", line):
            # Mount options say nothing about the step and crowd out its command.
            title = re.sub(r"--mount=\S+\s+", "", found[2])
            titles.setdefault(found[1], re.sub(r"\s+", " ", title))
        elif found := re.match(r"^#(\d+) DONE ([\d.]+)s$", line):
            seconds[found[1]] = float(found[2])
        elif found := re.match(r"^#(\d+) CACHED$", line):
            cached.add(found[1])
    ran = [(s, titles[k]) for k, s in seconds.items() if k in titles and k not in cached]
    ranked = sorted(ran, reverse=True)[:count]
    return [f"{s:.1f} s `{title[:90]}`" for s, title in ranked]


def steps_section(logs: Path) -> list[str]:
    lines = ["Slowest steps of the last run's builds (BuildKit's own step times):", ""]
    for image in IMAGES:
        for build in ("cold", "app", "dependency"):
            log = logs / f"{image}-{build}.log"
            if log.exists():
                lines.append(f"- {image}, {build}: " + "; ".join(slowest_steps(log)))
    return lines


def errors_note(results: dict) -> list[str]:
    runs = [results[i][f"errors_{s}"] for i in IMAGES for s, _ in THROUGHPUT_SETTINGS]
    total = sum(int(v) for values in runs for v in values)
    return [f"wrk counted {total} socket errors or non-2xx answers in all.", ""] if total else []


def main() -> None:
    results = load(Path(sys.argv[1]))
    logs = Path(sys.argv[2])
    out = [
        "## Benchmark: the template's prod image next to a naive single-stage Poetry image",
        "",
        machine(results),
        "",
        table(["", *IMAGES], size_rows(results) + timing_rows(results) + throughput_rows(results)),
        "",
        *errors_note(results),
        table(["target", *IMAGES], target_rows(results)),
        "",
        *steps_section(logs),
    ]
    print("\n".join(out))


if __name__ == "__main__":
    main()
