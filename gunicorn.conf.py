"""gunicorn settings for a container; PORT and WEB_CONCURRENCY override the defaults."""

import os
from pathlib import Path


def _cpu_limit() -> int:
    """CPUs this container may use: the CPUs it sees, capped by its cgroup CPU quota."""
    cpus = len(os.sched_getaffinity(0))
    quota = _cgroup_cpu_quota()
    return cpus if quota is None else max(1, min(cpus, int(quota)))


def _cgroup_cpu_quota() -> float | None:
    """The quota as a number of CPUs (cgroup v2, then v1), or None when there is none."""
    v2, v1 = Path("/sys/fs/cgroup/cpu.max"), Path("/sys/fs/cgroup/cpu")
    try:
        if v2.exists():
            quota, period = v2.read_text().split()
        else:
            quota = (v1 / "cpu.cfs_quota_us").read_text().strip()
            period = (v1 / "cpu.cfs_period_us").read_text().strip()
    except OSError:
        return None
    return None if quota in ("max", "-1") else int(quota) / int(period)


wsgi_app = "app:create_app()"
bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
# One sync worker per CPU: more only share the CPUs and slow every request down.
# An app that mostly waits on I/O wants more.
workers = int(os.environ.get("WEB_CONCURRENCY", _cpu_limit()))
# The heartbeat file goes to memory: a slow or read-only disk must not stall workers.
worker_tmp_dir = "/dev/shm"  # noqa: S108 -- private to the container
# Containers collect stdout; gunicorn would send its own messages to stderr. No
# access log: a line per request costs throughput, and platforms log requests at their
# load balancer; GUNICORN_CMD_ARGS="--access-logfile -" turns it on.
errorlog = "/dev/stdout"
# Workers get this long to finish their requests after SIGTERM: less than the 10 s
# that `docker stop` and Cloud Run wait before they kill.
graceful_timeout = 8
timeout = 30
# The control socket would need a writable $HOME, which a platform-chosen UID lacks.
control_socket_disable = True
