"""SIGTERM under load: gunicorn answers every request it began (its own debug log counts
them), answers no 5xx, and exits 0 without `docker stop` having to kill it; a request
slower than the grace is cut when the grace is over, before `docker stop` would kill."""

import re
import runpy
import socket
import threading
import time
from collections import Counter

from proof.helpers.containers import Container, running, wait_until_serving
from proof.helpers.engine import docker
from proof.helpers.http import read_until_closed, status_of
from proof.helpers.project import ROOT
from proof.helpers.waiting import wait_until

CLIENTS = 8
MAX_REQUESTS_PER_CLIENT = 3000
LOAD_SECONDS = 20
SLOW_BODY = b'{"slow": "' + b"x" * 2000 + b'"}'
# gunicorn logs each request at debug level when it begins, before the app sees it, and
# in its access log once it is answered.
REQUEST_LOGS = ("--env", "GUNICORN_CMD_ARGS=--log-level debug --access-logfile -")


def _unanswered(logs: str, method: str, path: str) -> int:
    """How many of the requests for path that gunicorn began it never answered."""
    begun = re.findall(rf"\[DEBUG\] {method} {re.escape(path)}$", logs, re.M)
    answered = re.findall(rf'"{method} {re.escape(path)} HTTP/1\.1" \d{{3}} ', logs)
    return len(begun) - len(answered)


def _one_request(port: int) -> str:
    """'ok', 'no answer' (refused, reset or closed before any byte), or what went wrong.
    A request left without an answer may never have reached the app (gunicorn closes its
    listening socket on SIGTERM): the log's count of begun requests tells."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
            conn.sendall(b"GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
            response = read_until_closed(conn)
    except (ConnectionRefusedError, ConnectionResetError):
        return "no answer"
    if not response:
        return "no answer"
    if status_of(response) == 200 and response.endswith(b'{"status":"ok"}\n'):
        return "ok"
    return f"bad: {response[:80]!r}"


def _load(port: int, results: Counter, stop: threading.Event) -> None:
    deadline = time.monotonic() + LOAD_SECONDS
    for _ in range(MAX_REQUESTS_PER_CLIENT):
        if stop.is_set() or time.monotonic() > deadline:
            return
        outcome = _one_request(port)
        results[outcome] += 1
        if outcome == "no answer" and results["ok"]:
            return


def _begin_slow_request(port: int) -> socket.socket:
    """A request whose body is only half sent: the worker is busy with it."""
    conn = socket.create_connection(("127.0.0.1", port), timeout=10)
    head = (
        b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n" % len(SLOW_BODY)
    )
    conn.sendall(head + SLOW_BODY[:1000])
    return conn


def test_sigterm_under_load_answers_every_begun_request(prod_image: str) -> None:
    with running(prod_image, *REQUEST_LOGS) as server:
        wait_until_serving(server)
        _sigterm_under_load(server)


def _sigterm_under_load(prod_server: Container) -> None:
    port = prod_server.port()
    slow = _begin_slow_request(port)
    results: Counter = Counter()
    stop = threading.Event()
    clients = [threading.Thread(target=_load, args=(port, results, stop)) for _ in range(CLIENTS)]
    for client in clients:
        client.start()
    wait_until(
        lambda: results["ok"], lambda ok: ok >= 200 or not any(c.is_alive() for c in clients),
        "200 requests answered",
    )  # fmt: skip

    stopper = threading.Thread(target=docker, args=("stop", "--time", "30", prod_server.id))
    stopper.start()
    # The rest of the slow body goes once gunicorn has the signal.
    wait_until(
        lambda: prod_server.logs().stdout, lambda logs: "Handling signal: term" in logs,
        "gunicorn to log SIGTERM",
    )  # fmt: skip
    slow.sendall(SLOW_BODY[1000:])
    slow_response = read_until_closed(slow)
    slow.close()
    stopper.join(timeout=60)
    stop.set()
    for client in clients:
        client.join(timeout=30)

    assert status_of(slow_response) == 200, slow_response[:200]
    assert slow_response.endswith(b'"}}\n')
    assert results["ok"] >= 200
    assert [k for k in results if k.startswith("bad")] == [], results
    state = prod_server.inspect()["State"]
    assert state["ExitCode"] == 0, "gunicorn did not exit by itself (137 means docker killed it)"
    logs = prod_server.logs().stdout
    assert _unanswered(logs, "GET", "/health") == 0, "a request gunicorn began went unanswered"
    assert _unanswered(logs, "POST", "/echo") == 0, "the slow request went unanswered"
    assert "[DEBUG] POST /echo" in logs, "gunicorn's log holds no begun request"


def test_a_worker_killed_mid_request_leaves_it_unanswered(prod_image: str) -> None:
    """The count above, shown to fail: a worker killed while it reads a request."""
    with running(prod_image, "--env", "WEB_CONCURRENCY=1", *REQUEST_LOGS) as server:
        wait_until_serving(server)
        slow = _begin_slow_request(server.port())
        wait_until(
            lambda: server.logs().stdout, lambda logs: "[DEBUG] POST /echo" in logs,
            "gunicorn to begin the slow request",
        )  # fmt: skip
        # gunicorn's workers are the children of its arbiter, PID 1.
        kill_workers = (
            "import os, signal\n"
            "for pid in filter(str.isdigit, os.listdir('/proc')):\n"
            "    if open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()[1] == '1':\n"
            "        os.kill(int(pid), signal.SIGKILL)\n"
        )
        killed = server.exec("python", "-c", kill_workers)
        assert killed.returncode == 0, killed.stderr
        try:
            response = read_until_closed(slow)
        except ConnectionResetError:
            response = b""
        slow.close()
        assert not response.startswith(b"HTTP/1.1 200"), response[:200]
        assert _unanswered(server.logs().stdout, "POST", "/echo") == 1


def _slow_request_through_docker_stop(image: str, *args: str) -> tuple[float, bytes, int]:
    """A request whose body never ends, then `docker stop`: how long after it the
    connection was closed, what came back, and gunicorn's exit code."""
    with running(image, "--env", "WEB_CONCURRENCY=1", *args) as server:
        wait_until_serving(server)
        slow = _begin_slow_request(server.port())
        outcome: dict = {}

        def read() -> None:
            try:
                outcome["response"] = read_until_closed(slow)
            except OSError as error:
                outcome["response"] = repr(error).encode()
            outcome["closed"] = time.monotonic()

        reader = threading.Thread(target=read)
        reader.start()
        signalled = time.monotonic()
        docker("stop", server.id)
        reader.join(timeout=30)
        slow.close()
        state = server.inspect()["State"]
    return outcome["closed"] - signalled, outcome["response"], state["ExitCode"]


def test_a_request_past_the_grace_is_cut_before_docker_stop_would_kill(prod_image: str) -> None:
    """gunicorn.conf.py's graceful_timeout: a request still unfinished is held that long
    after SIGTERM, then cut, and gunicorn exits before `docker stop`'s 10 s are up (else
    docker kills it: 137)."""
    grace = runpy.run_path(str(ROOT / "gunicorn.conf.py"))["graceful_timeout"]
    held, response, code = _slow_request_through_docker_stop(prod_image)
    assert held >= grace - 0.5, f"cut {held:.1f} s after SIGTERM, before the {grace} s grace"
    assert not response.startswith(b"HTTP/1.1 200"), response[:200]
    assert code == 0, f"gunicorn exited with {code}"


def test_without_a_grace_the_request_is_cut_at_once(prod_image: str) -> None:
    """The measure above, shown to fail where gunicorn gives no grace."""
    grace = runpy.run_path(str(ROOT / "gunicorn.conf.py"))["graceful_timeout"]
    held, _, _ = _slow_request_through_docker_stop(
        prod_image, "--env", "GUNICORN_CMD_ARGS=--graceful-timeout 0"
    )
    assert held < grace - 0.5, f"held {held:.1f} s with no grace"
