"""A small Debug Adapter Protocol client over TCP, enough to drive debugpy in tests."""

import json
import socket
import time
from collections.abc import Callable
from typing import Any

Message = dict[str, Any]


class DapClient:
    """Sends requests, and collects responses and events, over one DAP connection."""

    def __init__(self, host: str, port: int, timeout: float = 30) -> None:
        self.timeout = timeout
        self._conn = socket.create_connection((host, port), timeout=timeout)
        self._buffer = b""
        self._seq = 0
        self._pending: list[Message] = []

    def close(self) -> None:
        self._conn.close()

    def send(self, command: str, **arguments: Any) -> int:
        """Send a request; return its sequence number, for `response`."""
        self._seq += 1
        message = {"seq": self._seq, "type": "request", "command": command, "arguments": arguments}
        body = json.dumps(message).encode()
        # The last wait may have left the socket with only a sliver of timeout.
        self._conn.settimeout(self.timeout)
        self._conn.sendall(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        return self._seq

    def request(self, command: str, **arguments: Any) -> Message:
        return self.response(self.send(command, **arguments))

    def response(self, seq: int) -> Message:
        found = self._wait(lambda m: m["type"] == "response" and m["request_seq"] == seq)
        assert found["success"], f"{found['command']} failed: {found.get('message')}"
        return found.get("body", {})

    def event(self, name: str) -> Message:
        return self._wait(lambda m: m["type"] == "event" and m["event"] == name).get("body", {})

    def _wait(self, wanted: Callable[[Message], bool]) -> Message:
        deadline = time.monotonic() + self.timeout
        while True:
            for message in self._pending:
                if wanted(message):
                    self._pending.remove(message)
                    return message
            try:
                self._pending.append(self._read(deadline))
            except TimeoutError:
                raise TimeoutError(
                    f"no such message within {self.timeout} s; received: {self._pending}"
                ) from None

    def _read(self, deadline: float) -> Message:
        """One message: headers up to a blank line, then Content-Length bytes of JSON."""
        while b"\r\n\r\n" not in self._buffer:
            self._receive(deadline)
        head, self._buffer = self._buffer.split(b"\r\n\r\n", 1)
        headers = dict(line.split(b":", 1) for line in head.split(b"\r\n"))
        length = int(headers[b"Content-Length"])
        while len(self._buffer) < length:
            self._receive(deadline)
        body, self._buffer = self._buffer[:length], self._buffer[length:]
        return json.loads(body)

    def _receive(self, deadline: float) -> None:
        # The socket timeout shrinks to what is left, so a silent adapter cannot stretch
        # one wait beyond its deadline.
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        self._conn.settimeout(left)
        chunk = self._conn.recv(65536)
        if not chunk:
            raise ConnectionError("the debug adapter closed the connection")
        self._buffer += chunk
