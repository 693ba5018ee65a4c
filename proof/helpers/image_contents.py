"""What an image holds: its config, the files its layers add to a base, and
container-structure-test's checks of it."""

import json
import re
import subprocess
import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path

from proof.helpers.engine import docker
from proof.helpers.project import PROOF, host_tool


def structure_test(image: str, config: str, *args: str) -> subprocess.CompletedProcess[str]:
    """container-structure-test with a config file from proof/engine."""
    return subprocess.run(
        [host_tool("container-structure-test"), "test", "--image", image, *args,
         "--config", str(PROOF / "engine" / config)],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip


def image_config(image: str) -> dict:
    return json.loads(docker("image", "inspect", image).stdout)[0]["Config"]


def _added_layers(
    image: str, base: str, into: Path, engine: Callable[..., subprocess.CompletedProcess[str]]
) -> Iterator[tarfile.TarFile]:
    """Each layer that image added on top of base, as an open archive."""
    base_layers = len(json.loads(engine("image", "inspect", base).stdout)[0]["RootFS"]["Layers"])
    archive = into / "image.tar"
    engine("save", "--output", str(archive), image)
    with tarfile.open(archive) as saved:
        layers = json.load(saved.extractfile("manifest.json"))[0]["Layers"][base_layers:]
        for layer in layers:
            with tarfile.open(fileobj=saved.extractfile(layer)) as files:
                yield files


def added_layer_files(
    image: str,
    base: str,
    into: Path,
    engine: Callable[..., subprocess.CompletedProcess[str]] = docker,
) -> list[bytes]:
    """The content of every file in the layers that image added on top of base."""
    return [
        files.extractfile(member).read()
        for files in _added_layers(image, base, into, engine)
        for member in files
        if member.isfile()
    ]


def added_layer_paths(image: str, base: str, into: Path) -> list[str]:
    """The path of every file in the layers that image added on top of base, but the
    markers of files those layers removed."""
    return [
        "/" + member.name.removeprefix("./")
        for files in _added_layers(image, base, into, docker)
        for member in files
        if member.isfile() and not Path(member.name).name.startswith(".wh.")
    ]


# What apt leaves unless a step cleans up: package lists, its caches, downloaded packages.
APT_LEFTOVERS = re.compile(r"^/var/lib/apt/lists/[^/]+$|^/var/cache/apt/.*\.(bin|deb)$")


def apt_leftovers(image: str, base: str, into: Path) -> list[str]:
    """The files of apt's lists and caches in the layers that image added to base."""
    return [path for path in added_layer_paths(image, base, into) if APT_LEFTOVERS.match(path)]
