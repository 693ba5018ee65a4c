"""The settings deploy/kubernetes declares for the prod container, as docker run options:
what the restricted tests and the brought apps run prod with."""

from pathlib import Path

from proof.helpers.project import WEB_MANIFEST, cpu_limit, deployment

# OpenShift picks a UID from a high range per project and runs it in group 0.
OPENSHIFT_USER = "1000680000:0"


def manifest_docker_args(user: str | None = None, manifest: Path = WEB_MANIFEST) -> list[str]:
    """docker run options for what a manifest (the web's unless told) declares: user,
    filesystem, capabilities."""
    pod, container = deployment(manifest)
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
        # Empty and open to every user, as Kubernetes makes an emptyDir (--tmpfs would
        # take the mode of the image's folder there).
        args += ["--mount", f"type=tmpfs,destination={mount['mountPath']},tmpfs-mode=0777"]
    memory = container["resources"]["limits"]["memory"].replace("Mi", "m")
    args += ["--cpus", cpu_limit(container), "--memory", memory]
    for variable in container.get("env", []):
        if "value" in variable:
            args += ["--env", f"{variable['name']}={variable['value']}"]
        else:
            field = variable["valueFrom"]["resourceFieldRef"]["resource"]
            assert field == "limits.cpu", f"{variable['name']}: only limits.cpu maps to docker run"
            args += ["--env", f"{variable['name']}={cpu_limit(container)}"]
    return args
