"""The template's prod image next to a naive Poetry one and a uv-style one: proof/README.md."""

import http.client
import itertools
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from proof.bench.machine import describe
from proof.helpers.build_log import build_steps
from proof.helpers.engine import build, docker
from proof.helpers.http import free_loopback_port, http_get
from proof.helpers.project import PACKAGE, PYTHON_IMAGE, ROOT, copy_project, dockerfile_value
from proof.helpers.users import HOST_NETRC, HOST_USER

BASE = PYTHON_IMAGE
IMAGES = ("template", "naive", "uv-style")
# Each image's Dockerfile and target, and its steps that install the locked dependencies
# or copy them into the final stage: an app-only change should leave them all CACHED.
SOURCES = {
    "template": (
        "Dockerfile",
        "prod",
        # Every step that downloads has the cache mount.
        r"RUN .*--mount=type=cache|COPY --from=build ",
    ),
    "dev": ("Dockerfile", "dev", ""),
    "naive": ("proof/bench/naive.Dockerfile", "", r"poetry install"),
    "uv-style": ("proof/bench/uv.Dockerfile", "", r"--no-install-project|COPY --from=build "),
}
# BASELINE's prod: the template's Dockerfile, target and steps, from another commit's files.
SOURCES["baseline"] = SOURCES["template"]
# A containerd image store now and then fails to unpack a build's result (an open BuildKit
# issue, moby/buildkit#6521); the same build again succeeds.
LOST_SNAPSHOT = "failed to prepare extraction snapshot"
# The template's pins that the others take, so that each stays written in one place.
PINS = {"naive": ("POETRY_VERSION", "POETRY_MIRROR_PLUGIN_VERSION"), "uv-style": ("UV_VERSION",)}
WRK = ("wrk", "-t1", "-c16", "-d6s", "--latency", "--timeout", "2s")
# gunicorn as it comes, without gunicorn.conf.py: one sync worker, no access log.
GUNICORN_DEFAULTS = ("gunicorn", "--config", "/dev/null", f"{PACKAGE}:create_app()")
# gunicorn's sync worker closes every connection, and the tens of thousands of sockets
# one wrk run leaves in TIME-WAIT (for 60 s) make the next run collapse.
TIME_WAIT_MAX_S, READY_MAX_S = 90, 20
# This run's name, in its tags and marks, and its label, on every image and container
# it creates: the cleanup removes what has it.
RUN = f"bench-{int(time.time())}-{os.getpid()}"
LABEL = f"minimal-py-poetry.bench={RUN}"
# The version bumps' serial numbers, after the run's time: versions no build has seen.
BUMPS = itertools.count(1)
# What it measured: {image: {metric: [one value per repeat]}}.
RESULTS: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))


def log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def inspect(image: str, field: str) -> str:
    return docker("image", "inspect", "--format", field, image, check=False).stdout.strip()


def preflight(tools: tuple[str, ...] = ("docker", "wrk", "ss")) -> None:
    packages = {"docker": "docker.io", "wrk": "wrk", "ss": "iproute2"}  # Debian's
    if missing := [tool for tool in tools if not shutil.which(tool)]:
        install = " ".join(packages[tool] for tool in missing)
        sys.exit(f"bench: {', '.join(missing)} not found: apt-get install {install}")
    if docker("info", check=False).returncode:
        sys.exit("bench: the Docker engine does not answer: start it (dockerd)")
    # The legacy builder rejects RUN --mount; a client without BuildKit says so here.
    if "--progress" not in docker("build", "--help", check=False).stdout:
        sys.exit("bench: this docker cannot use BuildKit: put Docker 26.1+ first on PATH")
    if not inspect(BASE, "{{.Id}}"):
        sys.exit(f"bench: the base image {BASE} is not in the engine: build or tag it first")


def lock_with_uv(copy: Path) -> None:
    """uv.lock in the copy, at the versions poetry.lock pins for the app's dependencies."""
    lock = tomllib.loads((copy / "poetry.lock").read_text())
    pins = [f'"{p["name"]}=={p["version"]}"' for p in lock["package"] if "main" in p["groups"]]
    with (copy / "pyproject.toml").open("a") as pyproject:
        pyproject.write(f"\n[tool.uv]\nconstraint-dependencies = [{', '.join(pins)}]\n")
    with (copy / ".dockerignore").open("a") as ignore:
        ignore.write("\n!uv.lock\n")
    mirror = os.environ.get("POETRY_PYPI_MIRROR_URL")
    index = ["-e", f"PIP_INDEX_URL={mirror}", "-e", f"UV_DEFAULT_INDEX={mirror}"] if mirror else []
    netrc = ["-v", f"{HOST_NETRC}:/tmp/.netrc:ro"] if HOST_NETRC.is_file() else []
    uv = f"uv=={dockerfile_value('UV_VERSION')}"
    script = f"python3 -m venv /tmp/v && /tmp/v/bin/pip install -q {uv} && /tmp/v/bin/uv lock"
    docker(
        "run", "--rm", "--label", LABEL, "--user", HOST_USER,
        "-e", "HOME=/tmp", "-e", "UV_PYTHON_DOWNLOADS=never", *index, *netrc,
        "-v", f"{copy}:/project", "-w", "/project", BASE, "sh", "-c", script,
    )  # fmt: skip


def timed_build(copy: Path, image: str, *extra: str) -> tuple[float, str]:
    """Seconds and BuildKit's output; a --no-cache build that reused a step, or a build the
    engine failed to unpack, runs again."""
    file, target, _ = SOURCES[image]
    args = ["--file", str(copy / file), "--label", LABEL, f"--build-arg=PYTHON_IMAGE={BASE}"]
    args += [f"--build-arg={pin}={dockerfile_value(pin)}" for pin in PINS.get(image, ())]
    args += [f"--target={target}"] if target else []
    for attempt in (1, 2, 3):
        start = time.monotonic()
        result = build(f"{RUN}-{image}", *args, *extra, context=copy)
        seconds = time.monotonic() - start
        if result.returncode and LOST_SNAPSHOT in result.stderr and attempt < 3:
            log(f"{image}: the engine lost a snapshot while unpacking the image (try {attempt})")
            continue
        if result.returncode:
            raise RuntimeError(f"building {image} failed:\n{result.stderr[-4000:]}")
        if "--no-cache" not in extra or not cached_steps(result.stderr, ".")[0]:
            break
        log(f"{image}: the cold build reused a step (try {attempt})")
    return seconds, result.stderr


def cached_steps(output: str, pattern: str) -> tuple[int, int]:
    """(CACHED, all) of the build steps whose title matches pattern, FROM aside."""
    steps = [
        cached
        for stage, title, cached in build_steps(output).values()
        if stage != "internal" and re.search(pattern, title) and title[:5] != "FROM "
    ]
    return sum(steps), len(steps)


def rebuild(copy: Path, image: str, kind: str) -> None:
    """A rebuild after a change of kind ("app", "bump"): its seconds and reused steps."""
    seconds, output = timed_build(copy, image)
    reused, steps = cached_steps(output, SOURCES[image][2])
    RESULTS[image][f"{kind}_s"].append(seconds)
    RESULTS[image][f"{kind}_reused"].append(reused)
    RESULTS[image][f"{kind}_steps"].append(steps)
    log(f"{image}: {kind} rebuild {seconds:.2f} s, {reused}/{steps} reused")


def builds(copy: Path, image: str, repeat: int) -> None:
    """A cold build, a rebuild after an app-only change (a comment no build has seen),
    and one after a release's version bump in pyproject.toml."""
    seconds = timed_build(copy, image, "--no-cache")[0]
    RESULTS[image]["cold_s"].append(seconds)
    log(f"{image}: cold {seconds:.1f} s")
    with (copy / PACKAGE / "views.py").open("a") as views:
        views.write(f"# {RUN} {image} {repeat}\n")
    rebuild(copy, image, "app")
    pyproject = copy / "pyproject.toml"
    bumped = f'version = "0.{RUN.split("-")[1]}.{next(BUMPS)}"'
    pyproject.write_text(
        re.sub(r'^version = ".*"$', bumped, pyproject.read_text(), count=1, flags=re.M)
    )
    rebuild(copy, image, "bump")


def start(image: str, port: int, *args: str, command: tuple[str, ...] = ()) -> tuple[str, float]:
    """A new container, and the seconds from `docker start` to a 200 on port's /health."""
    cid = docker("create", *args, f"{RUN}-{image}", *command).stdout.strip()
    started = time.monotonic()
    docker("start", cid)
    while time.monotonic() - started < READY_MAX_S:
        try:
            if http_get(f"http://127.0.0.1:{port}/health", timeout=1)[0] == 200:
                return cid, time.monotonic() - started
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(0.01)
    raise RuntimeError(f"{image} gave no 200 on /health within {READY_MAX_S} s")


def throughput(setting: str, command: tuple[str, ...] = (), gunicorn_args: str = "") -> None:
    """wrk on /health, the container on the host network: Docker's proxy would cap req/s.
    gunicorn_args go to gunicorn after the template's settings."""
    deadline = time.monotonic() + TIME_WAIT_MAX_S
    while len(subprocess.check_output(["ss", "-tan", "state", "time-wait"]).splitlines()) > 2000:
        if time.monotonic() > deadline:
            log(f"TIME-WAIT sockets still over 2,000 after {TIME_WAIT_MAX_S} s: measuring anyway")
            break
        time.sleep(1)
    port = free_loopback_port()
    cid = start(
        "template", port, "--network", "host", "--env", f"PORT={port}",
        "--env", f"GUNICORN_CMD_ARGS=--bind 127.0.0.1:{port} {gunicorn_args}", command=command,
    )[0]  # fmt: skip
    wrk = [*WRK, f"http://127.0.0.1:{port}/health"]
    out = subprocess.run(wrk, capture_output=True, text=True, timeout=60, check=True).stdout
    docker("rm", "--force", cid)
    rps = float(re.search(r"^Requests/sec:\s+([\d.]+)", out, re.MULTILINE)[1])
    value, unit = re.search(r"^\s*99%\s+([\d.]+)(\w+)", out, re.MULTILINE).groups()
    p99 = float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]
    RESULTS["template"][f"rps_{setting}"].append(rps)
    RESULTS["template"][f"p99_{setting}"].append(p99)
    log(f"template, {setting}: {rps:,.0f} req/s, p99 {p99:.2f} ms")
    if re.search(r"^\s*(Socket errors|Non-2xx or 3xx responses):", out, re.MULTILINE):
        log(f"wrk counted errors, which make req/s meaningless:\n{out}")


def cleanup() -> None:
    """Removes every container and image with this run's label; the build cache stays."""
    for kind in ("container", "image"):
        found = docker(kind, "ls", "--all", "--quiet", "--filter", f"label={LABEL}").stdout
        if found.split():
            docker(kind, "rm", "--force", *set(found.split()), check=False)


ROWS = [  # label, metric, digits, unit
    ("cold build of prod (`--no-cache`)", "cold_s", 1, " s"),
    ("rebuild after an app-only change", "app_s", 2, " s"),
    ("... dependency steps reused (CACHED/all)", "app_reused", 0, ""),
    ("rebuild after a version bump in pyproject.toml", "bump_s", 2, " s"),
    ("... dependency steps reused (CACHED/all)", "bump_reused", 0, ""),
    ("`docker start` to first 200 on /health", "start_ms", 0, " ms"),
    ("bytes over the base image", "mb", 2, " MB"),
    ("req/s, the template's gunicorn settings", "rps_settings", 0, ""),
    ("req/s, gunicorn's own defaults", "rps_defaults", 0, ""),
    ("... ratio, template's settings / gunicorn's defaults", "rps_ratio", 2, "x"),
    ("req/s, the template's settings with the access log on", "rps_access_log", 0, ""),
    ("... ratio, access log on / the template's settings", "access_log_ratio", 2, "x"),
    ("p99 latency, the template's gunicorn settings", "p99_settings", 2, " ms"),
    ("p99 latency, gunicorn's own defaults", "p99_defaults", 2, " ms"),
    ("dev container cold build (`--target dev --no-cache`)", "dev_s", 1, " s"),
    ("dev image, bytes over the base image", "dev_mb", 1, " MB"),
]


def cell(image: str, metric: str, digits: int, unit: str) -> str:
    values = RESULTS[image][metric]
    if metric.endswith("_reused"):  # every repeat's count, e.g. "2/2"
        steps = RESULTS[image][metric.replace("_reused", "_steps")]
        return ", ".join(sorted({f"{r}/{s}" for r, s in zip(values, steps, strict=True)}))
    if not values:
        return ""
    low, high = f"{min(values):,.{digits}f}", f"{max(values):,.{digits}f}"
    spread = f" ({low}-{high})" if len(values) > 1 else ""
    return f"{statistics.median(values):,.{digits}f}{unit}{spread}"


def row(*cells: str) -> str:
    return "| " + " | ".join(cells) + " |"


def baseline_copy(ref: str, into: Path) -> Path:
    """The project as commit ref has it, to build its prod beside the template's."""
    into.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", ref], capture_output=True, check=False
    )
    if archive.returncode:
        sys.exit(f"bench: BASELINE={ref} is no commit here: {archive.stderr.decode().strip()}")
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


@contextmanager
def bench_copies(baseline: str) -> Iterator[tuple[Path, Path | None]]:
    """A copy of the project, locked with uv too, and BASELINE's if set, in a folder that
    goes with them. A failed build or check ends the bench with its message; this run's
    containers and images go however it ends, SIGTERM included."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with tempfile.TemporaryDirectory(prefix="bench-") as folder:
        copy = copy_project(Path(folder) / "template")
        old = baseline_copy(baseline, Path(folder) / "baseline") if baseline else None
        try:
            log("locking the app's dependencies with uv, at poetry.lock's versions")
            lock_with_uv(copy)
            yield copy, old
        except (AssertionError, RuntimeError, subprocess.SubprocessError) as error:
            sys.exit(f"bench: {error}")
        finally:
            cleanup()


def against_baseline(ref: str) -> tuple[list[str], bool]:
    """The template's build times next to the baseline's, measured turn about."""
    t, b = RESULTS["template"], RESULTS["baseline"]
    lines = ["", row("", "template", f"baseline ({ref})", "template / baseline")]
    lines.append(row(*["---"] * 4))
    ratios = []
    for label, metric, digits, unit in (r for r in ROWS if r[1] in ("cold_s", "app_s", "bump_s")):
        ratios.append(statistics.median(t[metric]) / statistics.median(b[metric]))
        cells = (cell(image, metric, digits, unit) for image in ("template", "baseline"))
        lines.append(row(label, *cells, f"{ratios[-1]:.2f}"))
    return lines, max(ratios) <= 1.1


def report(machine: str, dev_baseline: float, baseline: str) -> str:
    t, uv = RESULTS["template"], RESULTS["uv-style"]
    t["rps_ratio"] = [s / d for s, d in zip(t["rps_settings"], t["rps_defaults"], strict=True)]
    t["access_log_ratio"] = [
        a / s for a, s in zip(t["rps_access_log"], t["rps_settings"], strict=True)
    ]
    m = {metric: statistics.median(values) for metric, values in t.items()}
    lines = [machine, "", row("", *IMAGES, "template / uv-style"), row(*["---"] * 5)]
    for label, metric, digits, unit in ROWS:
        both = uv[metric] and not metric.endswith("_reused")
        ratio = f"{m[metric] / statistics.median(uv[metric]):.2f}" if both else ""
        lines.append(row(label, *(cell(image, metric, digits, unit) for image in IMAGES), ratio))
    cold_met = m["cold_s"] <= statistics.median(uv["cold_s"])
    dev_met = m["dev_s"] <= dev_baseline * 2 / 3 if dev_baseline else None
    app_met = all(
        m[f"{kind}_s"] <= 0.5 and t[f"{kind}_reused"] == t[f"{kind}_steps"]
        and min(t[f"{kind}_steps"]) > 0
        for kind in ("app", "bump")
    )  # fmt: skip
    rps_met = m["rps_ratio"] >= 1.3 and m["p99_settings"] <= m["p99_defaults"]
    verdict = {None: "not judged", True: "yes", False: "**no**"}
    lines += ["", row("target (template, medians)", "met"), row("---", "---")]
    lines.append(row("prod cold build no slower than uv-style's", verdict[cold_met]))
    lines.append(
        row(f"dev cold build <= 2/3 of DEV_BASELINE_S={dev_baseline:g} s", verdict[dev_met])
    )
    lines.append(
        row("app-only and version-bump rebuilds <= 0.5 s, every dependency step reused",
            verdict[app_met])
    )  # fmt: skip
    lines.append(row("req/s >= 1.3x gunicorn's defaults, p99 no worse", verdict[rps_met]))
    if baseline:
        table, within = against_baseline(baseline)
        lines.append(row(f"cold and app-only builds within 10% of {baseline}'s", verdict[within]))
        lines += table
    return "\n".join(lines)


def main() -> None:
    repeats = int(os.environ.get("REPEATS", "3"))
    dev_baseline = float(os.environ.get("DEV_BASELINE_S", "0"))
    baseline = os.environ.get("BASELINE", "")
    if repeats < 1:
        sys.exit("bench: REPEATS must be 1 or more")
    preflight()
    machine = describe("proof/bench/run", BASE, repeats) + " Each cell: the median (min-max)."
    with bench_copies(baseline) as (copy, old):
        base_size = int(inspect(BASE, "{{.Size}}"))
        for repeat in range(1, repeats + 1):
            log(f"repeat {repeat} of {repeats}")
            # wrk runs sit between builds, which use the time that TIME-WAIT needs to drain
            builds(copy, "template", repeat)
            if old:
                builds(old, "baseline", repeat)
            throughput("settings")
            builds(copy, "naive", repeat)
            throughput("defaults", GUNICORN_DEFAULTS)
            builds(copy, "uv-style", repeat)
            throughput("access_log", gunicorn_args="--access-logfile -")
            RESULTS["template"]["dev_s"].append(timed_build(copy, "dev", "--no-cache")[0])
            log(f"dev: cold build {RESULTS['template']['dev_s'][-1]:.1f} s")
            dev_size = int(inspect(f"{RUN}-dev", "{{.Size}}"))
            RESULTS["template"]["dev_mb"].append((dev_size - base_size) / 1e6)
            for image in IMAGES:
                port = free_loopback_port()
                cid, seconds = start(image, port, "--publish", f"127.0.0.1:{port}:8000")
                docker("rm", "--force", cid)
                RESULTS[image]["start_ms"].append(1000 * seconds)
                size = int(inspect(f"{RUN}-{image}", "{{.Size}}"))
                RESULTS[image]["mb"].append((size - base_size) / 1e6)
        print(report(machine, dev_baseline, baseline))


if __name__ == "__main__":
    main()
