"""gunicorn settings for a container; PORT and WEB_CONCURRENCY override the defaults."""

import os
from pathlib import Path


def _cpu_limit() -> int:
    """CPUs this container may use: its cgroup quota if set, else the CPUs it sees."""
    cpus = len(os.sched_getaffinity(0))
    cpu_max = Path("/sys/fs/cgroup/cpu.max")
    if cpu_max.exists():
        quota, period = cpu_max.read_text().split()
        if quota != "max":
            cpus = min(cpus, max(1, int(quota) // int(period)))
    return cpus


wsgi_app = "app:create_app()"
bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
# One worker per CPU plus one to cover a worker that is busy with I/O.
workers = int(os.environ.get("WEB_CONCURRENCY", _cpu_limit() + 1))
# The heartbeat file goes to memory: a slow or read-only disk must not stall workers.
worker_tmp_dir = "/dev/shm"  # noqa: S108 -- private to the container
# Containers collect stdout; gunicorn would send its own messages to stderr.
accesslog = "-"
errorlog = "/dev/stdout"
# Workers get this long to finish their requests after SIGTERM.
graceful_timeout = 10
timeout = 30
# The control socket would need a writable $HOME, which a platform-chosen UID lacks.
control_socket_disable = True
