"""A network that inspects TLS: the build takes the CA bundle as a BuildKit secret and
keeps it out of every layer. The base here trusts only Debian's own CAs, as an
official image does on such a network."""

import hashlib
import json
import os
import re
import tarfile
import uuid
from pathlib import Path

import pytest
from pip._internal.models.index import PyPI

from tests.image.containers import PYTHON_IMAGE, build, docker

HOST_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
PREFIX = "minimal-py-poetry-test:ca"


def _certs(pem: str) -> set[str]:
    bodies = re.findall(r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", pem, re.S)
    return {"".join(body.split()) for body in bodies}


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
def secret() -> list[str]:
    if not HOST_BUNDLE.is_file():
        pytest.fail(f"{HOST_BUNDLE} not found: these tests hand the host's CA bundle in")
    return ["--secret", f"id=ca-bundle,src={HOST_BUNDLE}"]


def _build(target: str, base: str, *args: str) -> tuple[str, str]:
    tag = f"{PREFIX}-{target}"
    result = build(tag, "--target", target, "--build-arg", f"PYTHON_IMAGE={base}", *args)
    return tag, result.stderr if result.returncode else ""


def _index_reachable_from(image: str) -> bool:
    url = os.environ.get("POETRY_PYPI_MIRROR_URL") or PyPI.simple_url
    code = f"import urllib.request; urllib.request.urlopen({url!r}, timeout=20)"
    return docker("run", "--rm", image, "python3", "-c", code, check=False).returncode == 0


def _added_layer_files(image: str, base: str, into: Path) -> list[bytes]:
    """The content of every file in the layers the Dockerfile added on top of base."""
    base_layers = len(json.loads(docker("image", "inspect", base).stdout)[0]["RootFS"]["Layers"])
    archive = into / "image.tar"
    docker("save", "--output", str(archive), image)
    contents = []
    with tarfile.open(archive) as saved:
        layers = json.load(saved.extractfile("manifest.json"))[0]["Layers"][base_layers:]
        for layer in layers:
            with tarfile.open(fileobj=saved.extractfile(layer)) as files:
                contents += [files.extractfile(m).read() for m in files if m.isfile()]
    return contents


def test_without_the_secret_the_build_needs_a_trusting_network(tmp_path: Path) -> None:
    # A base of its own, so that no layer cached from a build with the secret is reused.
    base = _plain_base(tmp_path, f"-{uuid.uuid4().hex[:12]}")
    try:
        _, failure = _build("prod", base)
        assert (failure == "") == _index_reachable_from(base), failure[-3000:]
    finally:
        docker("image", "rm", "--force", base, check=False)


@pytest.mark.parametrize("target", ["prod", "dev"])
def test_secret_is_used_and_kept_out_of_every_layer(
    plain_base: str, secret: list[str], target: str, tmp_path: Path
) -> None:
    image, failure = _build(target, plain_base, *secret)
    assert failure == "", f"build with the CA secret failed:\n{failure[-3000:]}"
    bundle = HOST_BUNDLE.read_bytes()
    base_certs = _certs(docker("run", "--rm", plain_base, "cat", str(HOST_BUNDLE)).stdout)
    extra = _certs(bundle.decode()) - base_certs
    digest = hashlib.sha256(bundle).digest()
    for content in _added_layer_files(image, plain_base, tmp_path):
        assert hashlib.sha256(content).digest() != digest, "the CA bundle is in a layer"
        text = content.decode("latin-1")
        assert not any(cert[64:128] in text for cert in extra), "a CA of the secret is in a layer"
