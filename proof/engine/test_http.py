"""Defensive HTTP through a raw socket: bad requests get a 4xx and the server keeps serving."""

import json

import pytest

from proof.helpers.containers import Container, running, wait_for_workers, wait_until_serving
from proof.helpers.http import body_of, raw_http, status_of

OVERSIZED_HEADER = b"GET /health HTTP/1.1\r\nHost: t\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n"
MANY_HEADERS = b"GET /health HTTP/1.1\r\nHost: t\r\n" + b"X-H: 1\r\n" * 200 + b"\r\n"
LONG_LINE = b"GET /" + b"a" * 10000 + b" HTTP/1.1\r\nHost: t\r\n\r\n"
BIG_BODY = (
    b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
    b"Content-Length: 5000000\r\n\r\n" + b"[" * 1000
)
BAD_JSON = (
    b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
    b"Content-Length: 5\r\n\r\n{oops"
)

# Requests gunicorn refuses before the app sees them: it answers 4xx in its own format.
SERVER_REFUSED = {
    "malformed request line": b"THIS IS NOT HTTP\r\n\r\n",
    "unknown HTTP version": b"GET /health HTTP/9.9\r\nHost: t\r\n\r\n",
    "oversized header": OVERSIZED_HEADER,
    "too many headers": MANY_HEADERS,
    "oversized request line": LONG_LINE,
}
# Requests the app answers: a 4xx with a JSON body.
APP_REFUSED = {
    "unsupported method": (b"BREW /health HTTP/1.1\r\nHost: t\r\n\r\n", 405),
    "oversized body": (BIG_BODY, 413),
    "unknown path": (b"GET /no/such/path HTTP/1.1\r\nHost: t\r\n\r\n", 404),
    "malformed JSON": (BAD_JSON, 400),
}


def assert_still_serving(port: int) -> None:
    response = raw_http(port, b"GET /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    assert status_of(response) == 200
    assert json.loads(body_of(response)) == {"status": "ok"}


@pytest.mark.parametrize("payload", SERVER_REFUSED.values(), ids=SERVER_REFUSED.keys())
def test_server_refuses_with_a_4xx(prod_server: Container, payload: bytes) -> None:
    port = prod_server.port()
    assert 400 <= status_of(raw_http(port, payload)) < 500
    assert_still_serving(port)


@pytest.mark.parametrize(("payload", "status"), APP_REFUSED.values(), ids=APP_REFUSED.keys())
def test_app_refuses_with_json(prod_server: Container, payload: bytes, status: int) -> None:
    port = prod_server.port()
    response = raw_http(port, payload)
    assert status_of(response) == status
    assert b"Content-Type: application/json" in response
    assert set(json.loads(body_of(response))) == {"error", "message"}
    assert_still_serving(port)


def test_no_worker_dies_from_bad_requests(prod_image: str) -> None:
    # Its own server with a known worker count: a worker still booting is not a replacement.
    with running(prod_image, "--env", "WEB_CONCURRENCY=2") as server:
        wait_until_serving(server)
        wait_for_workers(server, 2)
        port = server.port()
        for payload in [*SERVER_REFUSED.values(), *(p for p, _ in APP_REFUSED.values())]:
            raw_http(port, payload)
        assert_still_serving(port)
        logs = server.logs().stdout
    assert logs.count("Booting worker") == 2, f"a worker was replaced:\n{logs}"
    assert "Traceback" not in logs
