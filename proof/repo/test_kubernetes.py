"""deploy/kubernetes: valid manifests that meet the "restricted" Pod Security profile."""

import subprocess

from proof.helpers.project import MANIFESTS, deployment, host_tool


def test_manifests_are_valid_kubernetes() -> None:
    assert MANIFESTS, "no manifests in deploy/kubernetes"
    args = [host_tool("kubernetes-validate"), "--strict", *map(str, MANIFESTS)]
    result = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_manifest_meets_the_restricted_profile() -> None:
    pod, container = deployment()
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
    security = container["securityContext"]
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    assert security["readOnlyRootFilesystem"] is True
    assert container["readinessProbe"]["httpGet"]["path"] == "/health"
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"
    assert container["lifecycle"]["preStop"]
    concurrency = next(v for v in container["env"] if v["name"] == "WEB_CONCURRENCY")
    assert concurrency["valueFrom"]["resourceFieldRef"]["resource"] == "limits.cpu"
