"""What BuildKit's plain-progress log says of a build: each step's output, stage and
instruction, and whether a cache gave it."""

import re


def step_output(build_output: str, step: str) -> list[str]:
    """What the build step whose line matches step printed, line by line (plain progress)."""
    number = re.search(rf"^#(\d+) \[.*{step}", build_output, re.M)
    assert number, f"no step {step!r} in:\n{build_output[-4000:]}"
    return re.findall(rf"^#{number.group(1)} \d+\.\d+ (.*)$", build_output, re.M)


def build_steps(build_log: str) -> dict[str, tuple[str, str, bool]]:
    """Each step of a BuildKit plain-progress log, by number: its stage (with its
    position, "build 2/2"), its instruction, and whether it came from a cache. Lines may
    start with a time in brackets, as the Dev Containers CLI prints them."""
    line = r"^(?:\[[^\]]+\] )?#(\d+) "
    titles = re.findall(line + r"\[([^\]]*)\] (.*)$", build_log, re.MULTILINE)
    cached = set(re.findall(line + "CACHED$", build_log, re.MULTILINE))
    return {number: (stage, step, number in cached) for number, stage, step in titles}
