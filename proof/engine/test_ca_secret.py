"""A network that inspects TLS: the package index answers with a certificate of a CA
that the base image does not trust. The build takes the CA bundle as a BuildKit secret,
reaches the index with it, fails without it, and keeps it out of every layer. The base
here trusts only Debian's own CAs, as an official image does on such a network."""

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from proof.helpers.engine import TEST_IMAGE, build, built
from proof.helpers.image_contents import added_layer_files
from proof.helpers.project import PYTHON_IMAGE
from proof.helpers.tls_index import TlsIndex, make_ca, tls_index

pytestmark = pytest.mark.floor

HOST_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
PREFIX = f"{TEST_IMAGE}:ca"


@pytest.fixture(scope="module")
def plain_base(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The default base image, trusting only the CAs its distribution ships."""
    context = tmp_path_factory.mktemp("plain-base")
    (context / "Dockerfile").write_text(
        f"FROM {PYTHON_IMAGE}\nRUN update-ca-certificates --fresh >/dev/null\n"
    )
    return built(f"{PREFIX}-base", context=context)


@pytest.fixture(scope="module")
def ca_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("ca")
    make_ca(folder)
    return folder


@pytest.fixture
def index(ca_folder: Path) -> Iterator[TlsIndex]:
    """The index behind the test's CA, at a URL no earlier build has cached."""
    with tls_index(ca_folder) as found:
        yield found


@pytest.fixture(scope="module")
def bundle(ca_folder: Path) -> tuple[Path, str]:
    """The host's CA bundle plus the test's CA; returns the bundle and the CA's PEM body,
    which no layer may hold."""
    if not HOST_BUNDLE.is_file():
        pytest.fail(f"{HOST_BUNDLE} not found: these tests hand the host's CA bundle in")
    own_ca = (ca_folder / "ca.pem").read_text()
    (ca_folder / "bundle.pem").write_text(HOST_BUNDLE.read_text() + own_ca)
    body = "".join(own_ca.split("-----")[2].split())
    return ca_folder / "bundle.pem", body


def _build_args(base: str, index: TlsIndex) -> list[str]:
    return [
        "--network", "host", "--build-arg", f"PYTHON_IMAGE={base}",
        "--build-arg", f"POETRY_PYPI_MIRROR_URL={index.url}",
    ]  # fmt: skip


def test_without_the_secret_the_index_is_refused(plain_base: str, index: TlsIndex) -> None:
    result = build(f"{PREFIX}-refused", "--target", "prod", *_build_args(plain_base, index))
    assert result.returncode != 0, "the build reached the index without the CA"
    assert "certificate" in result.stderr.lower(), result.stderr[-3000:]
    assert not index.served, "an index page was served to a client that refused the CA"


@pytest.mark.parametrize("target", ["prod", "dev"])
def test_secret_is_used_and_kept_out_of_every_layer(
    plain_base: str, bundle: tuple[Path, str], index: TlsIndex, target: str, tmp_path: Path
) -> None:
    path, own_ca = bundle
    image = built(
        f"{PREFIX}-{target}", "--target", target, *_build_args(plain_base, index),
        "--secret", f"id=ca-bundle,src={path}",
    )  # fmt: skip
    assert any("/simple/" in served for served in index.served), "the index was not reached"
    digest = hashlib.sha256(path.read_bytes()).digest()
    for content in added_layer_files(image, plain_base, tmp_path):
        assert hashlib.sha256(content).digest() != digest, "the CA bundle is in a layer"
        assert own_ca[64:128] not in content.decode("latin-1"), "a CA of the secret is in a layer"
