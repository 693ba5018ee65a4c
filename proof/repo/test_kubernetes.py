"""deploy/kubernetes: valid manifests whose every pod meets the "restricted" Pod Security
profile, control by control (helpers/pod_security.py), which a broken pod fails."""

import copy
import subprocess
from collections.abc import Callable

import pytest
import yaml

from proof.helpers.pod_security import violations
from proof.helpers.project import MANIFESTS, deployment, host_tool


def pod_templates() -> list[tuple[str, dict, dict]]:
    """Each workload's pod template in the manifests: where it is, its spec, its metadata."""
    found = []
    for manifest in MANIFESTS:
        for doc in yaml.safe_load_all(manifest.read_text()):
            if "template" in doc.get("spec", {}):
                template = doc["spec"]["template"]
                where = f"{manifest.name}: {doc['kind']} {doc['metadata']['name']}"
                found.append((where, template["spec"], template.get("metadata", {})))
    return found


def test_manifests_are_valid_kubernetes() -> None:
    assert MANIFESTS, "no manifests in deploy/kubernetes"
    args = [host_tool("kubernetes-validate"), "--strict", *map(str, MANIFESTS)]
    result = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_pod_meets_the_restricted_profile() -> None:
    pods = pod_templates()
    assert pods, "no workload in deploy/kubernetes"
    broken = {where: violations(pod, metadata) for where, pod, metadata in pods}
    assert {where: found for where, found in broken.items() if found} == {}


def test_the_app_is_probed_and_stops_gracefully() -> None:
    _, container = deployment()
    assert container["readinessProbe"]["httpGet"]["path"] == "/health"
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"
    assert container["lifecycle"]["preStop"]
    concurrency = next(v for v in container["env"] if v["name"] == "WEB_CONCURRENCY")
    assert concurrency["valueFrom"]["resourceFieldRef"]["resource"] == "limits.cpu"


def _init_container(pod: dict, **security: object) -> None:
    container = copy.deepcopy(pod["containers"][0]) | {"name": "setup"}
    container["securityContext"] = container["securityContext"] | security
    pod["initContainers"] = [container]


# Ways a pod breaks the profile, each with the control that must catch it.
BREAKS: dict[str, tuple[str, Callable[[dict], None]]] = {
    "hostPath volume": (
        "Volume Types",
        lambda pod: pod["volumes"].append({"name": "host", "hostPath": {"path": "/"}}),
    ),
    "host network": ("Host Namespaces", lambda pod: pod.update(hostNetwork=True)),
    "privileged init container": (
        "Privileged Containers",
        lambda pod: _init_container(pod, privileged=True),
    ),
    "added capability": (
        "Capabilities",
        lambda pod: pod["containers"][0]["securityContext"]["capabilities"].update(
            add=["SYS_ADMIN"]
        ),
    ),
    "escalation in an init container": (
        "Privilege Escalation",
        lambda pod: _init_container(pod, allowPrivilegeEscalation=True),
    ),
    "root user": ("Running as Non-root", lambda pod: pod["securityContext"].update(runAsUser=0)),
    "unconfined seccomp": (
        "Seccomp",
        lambda pod: pod["containers"][0]["securityContext"].update(
            seccompProfile={"type": "Unconfined"}
        ),
    ),
    "host port": ("Host Ports", lambda pod: pod["containers"][0]["ports"][0].update(hostPort=80)),
    "unsafe sysctl": (
        "Sysctls",
        lambda pod: pod["securityContext"].update(
            sysctls=[{"name": "kernel.msgmax", "value": "1"}]
        ),
    ),
}


@pytest.mark.parametrize("name", BREAKS)
def test_a_pod_that_breaks_a_control_fails_it(name: str) -> None:
    control, breaking = BREAKS[name]
    _, pod, metadata = pod_templates()[0]
    pod = copy.deepcopy(pod)
    breaking(pod)
    assert any(found.startswith(f"{control}: ") for found in violations(pod, metadata)), name
