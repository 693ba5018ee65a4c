"""A network that inspects TLS: the build takes the CA bundle as a BuildKit secret and
keeps it out of every layer. The base here trusts only Debian's own CAs, as an
official image does on such a network."""

import hashlib
import os
import uuid
from pathlib import Path

import pytest
from pip._internal.models.index import PyPI

from proof.helpers.engine import added_layer_files, build, built, docker
from proof.helpers.project import PYTHON_IMAGE
from proof.helpers.users import openssl

HOST_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
PREFIX = "minimal-py-poetry-test:ca"


def _plain_base(context: Path, nonce: str = "") -> str:
    """The default base image, trusting only the CAs its distribution ships."""
    tag = f"{PREFIX}-base{nonce}"
    (context / "Dockerfile").write_text(
        f"FROM {PYTHON_IMAGE}\nRUN update-ca-certificates --fresh >/dev/null # {nonce}\n"
    )
    result = build(tag, context=context)
    assert result.returncode == 0, result.stderr[-4000:]
    return tag


@pytest.fixture(scope="module")
def plain_base(tmp_path_factory: pytest.TempPathFactory) -> str:
    return _plain_base(tmp_path_factory.mktemp("plain-base"))


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The host's CA bundle plus a CA made for this test alone; returns the bundle and
    the new CA's PEM body, which no layer may hold."""
    if not HOST_BUNDLE.is_file():
        pytest.fail(f"{HOST_BUNDLE} not found: these tests hand the host's CA bundle in")
    folder = tmp_path_factory.mktemp("ca")
    openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        "-subj", "/CN=minimal-py-poetry test CA",
        "-keyout", str(folder / "key.pem"), "-out", str(folder / "ca.pem"),
    )  # fmt: skip
    own_ca = (folder / "ca.pem").read_text()
    (folder / "bundle.pem").write_text(HOST_BUNDLE.read_text() + own_ca)
    body = "".join(own_ca.split("-----")[2].split())
    return folder / "bundle.pem", body


def _index_reachable_from(image: str) -> bool:
    url = os.environ.get("POETRY_PYPI_MIRROR_URL") or PyPI.simple_url
    code = f"import urllib.request; urllib.request.urlopen({url!r}, timeout=20)"
    return docker("run", "--rm", image, "python3", "-c", code, check=False).returncode == 0


def test_without_the_secret_the_build_needs_a_trusting_network(tmp_path: Path) -> None:
    # A base of its own, so that no layer cached from a build with the secret is reused.
    base = _plain_base(tmp_path, f"-{uuid.uuid4().hex[:12]}")
    try:
        result = build(f"{PREFIX}-prod", "--target", "prod", "--build-arg", f"PYTHON_IMAGE={base}")
        assert (result.returncode == 0) == _index_reachable_from(base), result.stderr[-3000:]
    finally:
        docker("image", "rm", "--force", base, check=False)


@pytest.mark.parametrize("target", ["prod", "dev"])
def test_secret_is_used_and_kept_out_of_every_layer(
    plain_base: str, bundle: tuple[Path, str], target: str, tmp_path: Path
) -> None:
    path, own_ca = bundle
    image = built(
        f"{PREFIX}-{target}", "--target", target, "--build-arg", f"PYTHON_IMAGE={plain_base}",
        "--secret", f"id=ca-bundle,src={path}",
    )  # fmt: skip
    digest = hashlib.sha256(path.read_bytes()).digest()
    for content in added_layer_files(image, plain_base, tmp_path):
        assert hashlib.sha256(content).digest() != digest, "the CA bundle is in a layer"
        assert own_ca[64:128] not in content.decode("latin-1"), "a CA of the secret is in a layer"
