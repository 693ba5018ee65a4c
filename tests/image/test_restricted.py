"""The prod image on restricted platforms (Kubernetes "restricted", OpenShift), run with
the settings deploy/kubernetes declares, and its contents checked by a real image tool."""

import re
import subprocess

import pytest
import yaml

from tests.image.containers import (
    PACKAGE,
    ROOT,
    docker,
    host_tool,
    http_get,
    running,
    structure_test,
    wait_until_serving,
)

MANIFESTS = sorted((ROOT / "deploy" / "kubernetes").glob("*.yaml"))
# OpenShift picks a UID from a high range per project and runs it in group 0.
OPENSHIFT_USER = "1000680000:0"


def _deployment() -> tuple[dict, dict]:
    """The pod spec and its one container from the Deployment manifest."""
    for manifest in MANIFESTS:
        for doc in yaml.safe_load_all(manifest.read_text()):
            if doc["kind"] == "Deployment":
                pod = doc["spec"]["template"]["spec"]
                return pod, pod["containers"][0]
    raise AssertionError("no Deployment in deploy/kubernetes")


def _cpu_limit(container: dict) -> str:
    return str(container["resources"]["limits"]["cpu"])


def manifest_docker_args(user: str | None = None) -> list[str]:
    """docker run options for what the manifest declares: user, filesystem, capabilities."""
    pod, container = _deployment()
    security = container["securityContext"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    uid, gid = pod["securityContext"]["runAsUser"], pod["securityContext"]["runAsGroup"]
    args = [
        "--user",
        user or f"{uid}:{gid}",
        "--cap-drop",
        ",".join(security["capabilities"]["drop"]),
    ]
    if security["readOnlyRootFilesystem"]:
        args.append("--read-only")
    if not security["allowPrivilegeEscalation"]:
        args += ["--security-opt", "no-new-privileges"]
    for mount in container["volumeMounts"]:
        assert "emptyDir" in volumes[mount["name"]], "only emptyDir volumes map to a tmpfs"
        args += ["--tmpfs", mount["mountPath"]]
    memory = container["resources"]["limits"]["memory"].replace("Mi", "m")
    args += ["--cpus", _cpu_limit(container), "--memory", memory]
    args += ["--env", f"WEB_CONCURRENCY={_cpu_limit(container)}"]
    return args


def test_manifests_are_valid_kubernetes() -> None:
    assert MANIFESTS, "no manifests in deploy/kubernetes"
    args = [host_tool("kubernetes-validate"), "--strict", *map(str, MANIFESTS)]
    result = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_manifest_meets_the_restricted_profile() -> None:
    pod, container = _deployment()
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
    assert container["env"][0]["valueFrom"]["resourceFieldRef"]["resource"] == "limits.cpu"


@pytest.mark.parametrize("user", [None, OPENSHIFT_USER], ids=["kubernetes", "openshift"])
def test_serves_under_restricted_settings(prod_image: str, user: str | None) -> None:
    _, container = _deployment()
    with running(prod_image, *manifest_docker_args(user)) as app:
        wait_until_serving(app)
        status, _, _ = http_get(app.url("/health"))
        assert status == 200
        logs = app.logs().stdout
        assert logs.count("Booting worker") == int(_cpu_limit(container))
        assert not re.search(r"Permission denied|Read-only file system|Traceback", logs), logs
        write_root = docker("exec", app.id, "touch", "/srv/x", check=False)
        assert write_root.returncode != 0, "the root filesystem is writable"
        assert docker("exec", app.id, "touch", "/tmp/x", check=False).returncode == 0


def test_read_only_root_compiles_nothing_at_start(prod_image: str) -> None:
    """Every module the server imports has its bytecode in the image already."""
    code = f"import {PACKAGE}, gunicorn.app.wsgiapp, gunicorn.workers.sync; {PACKAGE}.create_app()"
    result = docker("run", "--rm", "--read-only", prod_image, "python3", "-v", "-c", code)
    compiled = re.findall(r"^# code object from (/opt/venv/\S+\.py)$", result.stderr, re.M)
    assert compiled == [], "imported from source, without bytecode"


@pytest.mark.parametrize(
    ("image", "config"), [("prod", "prod-structure.yaml"), ("dev", "dev-structure.yaml")]
)
def test_image_structure(request: pytest.FixtureRequest, image: str, config: str) -> None:
    result = structure_test(request.getfixturevalue(f"{image}_image"), config)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
