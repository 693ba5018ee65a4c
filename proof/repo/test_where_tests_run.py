"""What runs where: every group of engine tests that proof/pyproject.toml marks runs in
CI (proof/ci/run), on the engine its marker names, and in the proof workflow on GitHub's runners."""

import re
import tomllib

import yaml

from proof.helpers.project import ROOT

PROOF_SETTINGS = tomllib.loads((ROOT / "proof" / "pyproject.toml").read_text())["tool"]["pytest"]
CI_PHASES = (ROOT / "proof" / "ci" / "phases.sh").read_text()
WORKFLOW = yaml.safe_load((ROOT / ".github" / "workflows" / "proof.yml").read_text())


def _default_expression() -> str:
    addopts = PROOF_SETTINGS["ini_options"]["addopts"]
    return addopts[addopts.index("-m") + 1]


def _selects(expression: str, markers: set[str]) -> bool:
    """Whether pytest's -m expression selects a test with these markers: its grammar
    (names, and, or, not, parentheses) is Python's."""
    names = {name: name in markers for name in re.findall(r"[a-z_]+", expression)}
    names = {name: value for name, value in names.items() if name not in ("and", "or", "not")}
    return bool(eval(expression, {"__builtins__": {}}, names))  # noqa: S307 -- our own


def _expression(command: str) -> str | None:
    """The -m expression of a proof/run command line, the default if it has none."""
    found = re.search(r"-m '([^']+)'", command)
    return found.group(1) if found else _default_expression()


def _groups() -> list[str]:
    return [line.split(":")[0] for line in PROOF_SETTINGS["ini_options"]["markers"]]


def _ci_runs() -> list[tuple[str, str]]:
    """(engine, -m expression) of each proof command CI's phases run."""
    return [
        (engine, _expression(line))
        for engine, line in re.findall(
            r"in_engine (\w+) bash -c (.*\$\(proof_command\).*)", CI_PHASES
        )
    ]


def _workflow_runs() -> list[str]:
    return [
        _expression(line)
        for job in WORKFLOW["jobs"].values()
        for step in job["steps"]
        for line in [" ".join(step.get("run", "").split("\\\n"))]
        if "proof/run" in line
    ]


def test_the_marker_groups_are_the_ones_this_check_knows() -> None:
    assert set(_groups()) == {"floor", "apps", "podman", "publish"}


def test_ci_runs_each_group_on_its_engine() -> None:
    runs = _ci_runs()
    assert runs, "no proof command found in proof/ci/phases.sh"
    where = {"floor": "floor", "apps": "floor", "podman": "current", "publish": "current"}
    for group, engine in where.items():
        assert any(e == engine and _selects(x, {group}) for e, x in runs), (group, runs)
    assert any(e == "current" and _selects(x, set()) for e, x in runs), "unmarked tests"


def _unrun(runs: list[str]) -> list[str]:
    """The groups (and "unmarked") that none of the -m expressions selects."""
    groups = {group: {group} for group in _groups()} | {"unmarked": set()}
    return [name for name, markers in groups.items() if not any(_selects(x, markers) for x in runs)]


def test_the_workflow_runs_every_group() -> None:
    assert _unrun(_workflow_runs()) == []


def test_this_check_fails_for_a_workflow_that_runs_proof_run_alone() -> None:
    assert _unrun([_expression("proof/run")]) == ["apps", "podman", "publish"]
