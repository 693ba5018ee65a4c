"""HTTP to servers on 127.0.0.1, through urllib or raw sockets."""

import json
import socket
import urllib.error
import urllib.parse
import urllib.request


def http_get(url: str, timeout: float = 5) -> tuple[int, dict[str, str], bytes]:
    return _http(url, timeout)


def http_post_json(url: str, body: object, timeout: float = 5) -> tuple[int, dict[str, str], bytes]:
    return _http(url, timeout, json.dumps(body).encode(), {"Content-Type": "application/json"})


def http_post_form(
    url: str, fields: dict[str, str], timeout: float = 5
) -> tuple[int, dict[str, str], bytes]:
    """POST fields as an HTML form sends them."""
    body = urllib.parse.urlencode(fields).encode()
    return _http(url, timeout, body, {"Content-Type": "application/x-www-form-urlencoded"})


def _http(
    url: str, timeout: float, data: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """The status, headers and body of what url answers (GET, or POST of data)."""
    request = urllib.request.Request(url, data, headers or {})  # noqa: S310 -- loopback URL
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 -- loopback URL
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, dict(error.headers), error.read()


def raw_http(port: int, payload: bytes, timeout: float = 5) -> bytes:
    """Send bytes to 127.0.0.1:port as they are; return all that comes back until close."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
        conn.sendall(payload)
        conn.shutdown(socket.SHUT_WR)
        return read_until_closed(conn)


def read_until_closed(conn: socket.socket) -> bytes:
    chunks = []
    while chunk := conn.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def status_of(response: bytes) -> int:
    return int(response.split(b" ", 2)[1])


def body_of(response: bytes) -> bytes:
    return response.split(b"\r\n\r\n", 1)[1]


def free_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
