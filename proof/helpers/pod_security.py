"""Kubernetes' Pod Security Standards, "baseline" and "restricted" profiles, a check per
control of their published list, for a pod spec (and its metadata's annotations): every
container, init container and ephemeral container. Each check returns what breaks it."""

from collections.abc import Callable, Iterator

# What the baseline profile lets a container add, and the restricted profile only the first.
BASELINE_CAPABILITIES = {
    "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
    "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
}  # fmt: skip
SAFE_SYSCTLS = {
    "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start", "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes",
}  # fmt: skip
SELINUX_TYPES = {"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}
RESTRICTED_VOLUMES = {
    "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim",
    "projected", "secret",
}  # fmt: skip
APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/"

Check = Callable[[dict, dict], Iterator[str]]


def containers(pod: dict) -> Iterator[tuple[str, dict]]:
    for kind in ("initContainers", "containers", "ephemeralContainers"):
        for container in pod.get(kind, []):
            yield f"{kind}[{container.get('name')}]", container


def security_contexts(pod: dict) -> Iterator[tuple[str, dict]]:
    """The pod's security context and every container's."""
    yield "pod", pod.get("securityContext", {})
    for where, container in containers(pod):
        yield where, container.get("securityContext", {})


def host_process(pod: dict, _: dict) -> Iterator[str]:
    for where, context in security_contexts(pod):
        if context.get("windowsOptions", {}).get("hostProcess"):
            yield f"{where}: hostProcess"


def host_namespaces(pod: dict, _: dict) -> Iterator[str]:
    yield from (f"pod: {key}" for key in ("hostNetwork", "hostPID", "hostIPC") if pod.get(key))


def privileged(pod: dict, _: dict) -> Iterator[str]:
    for where, container in containers(pod):
        if container.get("securityContext", {}).get("privileged"):
            yield f"{where}: privileged"


def capabilities(pod: dict, _: dict) -> Iterator[str]:
    """Baseline: only its list added. Restricted: ALL dropped, NET_BIND_SERVICE added at most."""
    for where, container in containers(pod):
        caps = container.get("securityContext", {}).get("capabilities", {})
        added = set(caps.get("add", []))
        if added - BASELINE_CAPABILITIES or added - {"NET_BIND_SERVICE"}:
            yield f"{where}: adds {sorted(added)}"
        if "ALL" not in caps.get("drop", []):
            yield f"{where}: does not drop ALL capabilities"


def volume_types(pod: dict, _: dict) -> Iterator[str]:
    """No hostPath (baseline); only the restricted profile's volume types."""
    for volume in pod.get("volumes", []):
        kinds = set(volume) - {"name"}
        if kinds - RESTRICTED_VOLUMES:
            yield f"volume {volume.get('name')}: {sorted(kinds - RESTRICTED_VOLUMES)}"


def host_ports(pod: dict, _: dict) -> Iterator[str]:
    for where, container in containers(pod):
        for port in container.get("ports", []):
            if port.get("hostPort"):
                yield f"{where}: hostPort {port['hostPort']}"


def apparmor(pod: dict, metadata: dict) -> Iterator[str]:
    for where, context in security_contexts(pod):
        kind = context.get("appArmorProfile", {}).get("type", "RuntimeDefault")
        if kind not in ("RuntimeDefault", "Localhost"):
            yield f"{where}: AppArmor {kind}"
    for key, value in metadata.get("annotations", {}).items():
        if key.startswith(APPARMOR_ANNOTATION) and not (
            value == "runtime/default" or value.startswith("localhost/")
        ):
            yield f"annotation {key}: {value}"


def selinux(pod: dict, _: dict) -> Iterator[str]:
    for where, context in security_contexts(pod):
        options = context.get("seLinuxOptions", {})
        if (
            options.get("type", "") not in SELINUX_TYPES
            or options.get("user")
            or options.get("role")
        ):
            yield f"{where}: seLinuxOptions {options}"


def proc_mount(pod: dict, _: dict) -> Iterator[str]:
    for where, container in containers(pod):
        if container.get("securityContext", {}).get("procMount", "Default") != "Default":
            yield f"{where}: procMount"


def seccomp(pod: dict, _: dict) -> Iterator[str]:
    """RuntimeDefault or Localhost, for the pod or else for every container."""
    pod_kind = pod.get("securityContext", {}).get("seccompProfile", {}).get("type")
    for where, container in containers(pod):
        kind = container.get("securityContext", {}).get("seccompProfile", {}).get("type")
        if (kind or pod_kind) not in ("RuntimeDefault", "Localhost"):
            yield f"{where}: seccomp profile {kind or pod_kind}"


def sysctls(pod: dict, _: dict) -> Iterator[str]:
    for sysctl in pod.get("securityContext", {}).get("sysctls", []):
        if sysctl.get("name") not in SAFE_SYSCTLS:
            yield f"pod: sysctl {sysctl.get('name')}"


def privilege_escalation(pod: dict, _: dict) -> Iterator[str]:
    for where, container in containers(pod):
        if container.get("securityContext", {}).get("allowPrivilegeEscalation") is not False:
            yield f"{where}: allowPrivilegeEscalation is not false"


def non_root(pod: dict, _: dict) -> Iterator[str]:
    """runAsNonRoot true, for the pod or else for every container; no UID 0 anywhere."""
    pod_context = pod.get("securityContext", {})
    for where, container in containers(pod):
        context = container.get("securityContext", {})
        if context.get("runAsNonRoot", pod_context.get("runAsNonRoot")) is not True:
            yield f"{where}: runAsNonRoot is not true"
    for where, context in security_contexts(pod):
        if context.get("runAsUser") == 0:
            yield f"{where}: runAsUser 0"


CONTROLS: dict[str, Check] = {
    "HostProcess": host_process,
    "Host Namespaces": host_namespaces,
    "Privileged Containers": privileged,
    "Capabilities": capabilities,
    "Volume Types": volume_types,
    "Host Ports": host_ports,
    "AppArmor": apparmor,
    "SELinux": selinux,
    "/proc Mount Type": proc_mount,
    "Seccomp": seccomp,
    "Sysctls": sysctls,
    "Privilege Escalation": privilege_escalation,
    "Running as Non-root": non_root,
}


def violations(pod: dict, metadata: dict) -> list[str]:
    """Every control of the restricted profile (which holds the baseline's) that the pod
    breaks, with what breaks it."""
    return [
        f"{name}: {found}" for name, check in CONTROLS.items() for found in check(pod, metadata)
    ]
