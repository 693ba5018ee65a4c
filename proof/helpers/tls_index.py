"""The package index behind TLS that only a CA of the test's own vouches for, as a network
that inspects TLS presents it: an HTTPS server on 127.0.0.1 that hands every request on
to the index this environment uses, and counts what it served."""

import http.server
import os
import ssl
import threading
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from pip._internal.models.index import PyPI

from proof.helpers.users import openssl

# Headers of the index's answers that a client needs; the rest are the hop's own.
KEPT_HEADERS = ("Content-Type", "Content-Length", "Cache-Control", "ETag", "Last-Modified")


@dataclass
class TlsIndex:
    # The index's simple API through the server: a path no earlier build has cached.
    url: str
    served: list[str] = field(default_factory=list)


def make_ca(folder: Path) -> Path:
    """A CA of this test's own, key and certificate in folder; returns the certificate."""
    openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        "-subj", "/CN=minimal-py-poetry test CA",
        "-addext", "basicConstraints = critical, CA:TRUE",
        "-addext", "keyUsage = critical, keyCertSign, cRLSign",
        "-keyout", str(folder / "ca-key.pem"), "-out", str(folder / "ca.pem"),
    )  # fmt: skip
    return folder / "ca.pem"


def _server_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 that the CA in folder signs, as strict verifiers want it."""
    key, request, cert = folder / "server-key.pem", folder / "server.csr", folder / "server.pem"
    openssl(
        "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
        "-keyout", str(key), "-out", str(request),
    )  # fmt: skip
    (folder / "server.ext").write_text(
        "subjectAltName = IP:127.0.0.1\nbasicConstraints = critical, CA:FALSE\n"
        "keyUsage = critical, digitalSignature, keyEncipherment\n"
        "extendedKeyUsage = serverAuth\nsubjectKeyIdentifier = hash\n"
        "authorityKeyIdentifier = keyid\n"
    )
    openssl(
        "x509", "-req", "-in", str(request), "-days", "1", "-CA", str(folder / "ca.pem"),
        "-CAkey", str(folder / "ca-key.pem"), "-extfile", str(folder / "server.ext"),
        "-out", str(cert),
    )  # fmt: skip
    return cert, key


class _Server(http.server.ThreadingHTTPServer):
    # Poetry opens many connections at once.
    request_queue_size = 64
    daemon_threads = True


def _handler(upstream: str, prefix: str, served: list[str]) -> type:
    class Forward(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.removeprefix(prefix)
            accept = {"Accept": self.headers.get("Accept", "*/*")}
            request = urllib.request.Request(upstream + path, headers=accept)  # noqa: S310
            try:
                answer = urllib.request.urlopen(request, timeout=60)  # noqa: S310 -- the index
            except urllib.error.HTTPError as error:
                answer = error
            with answer:
                body = answer.read()
                self.send_response(answer.status)
                for name in KEPT_HEADERS:
                    if name in answer.headers and name != "Content-Length":
                        self.send_header(name, answer.headers[name])
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            served.append(path)

        def log_message(self, *args: object) -> None:
            pass

    return Forward


@contextmanager
def tls_index(folder: Path) -> Iterator[TlsIndex]:
    """The index at https://127.0.0.1:PORT/NONCE/..., served with a certificate of the CA
    that make_ca(folder) made."""
    index = os.environ.get("POETRY_PYPI_MIRROR_URL") or PyPI.simple_url
    parts = urllib.parse.urlsplit(index)
    prefix = "/" + uuid.uuid4().hex
    cert, key = _server_certificate(folder)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    found = TlsIndex("")
    handler = _handler(f"{parts.scheme}://{parts.netloc}", prefix, found.served)
    server = _Server(("127.0.0.1", 0), handler)
    # Each handshake in the request's own thread, so that a slow one holds up no other.
    server.socket = context.wrap_socket(
        server.socket, server_side=True, do_handshake_on_connect=False
    )
    found.url = f"https://127.0.0.1:{server.server_address[1]}{prefix}{parts.path}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield found
    finally:
        server.shutdown()
        server.server_close()
