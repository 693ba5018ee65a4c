"""CI's stand-in for BuildKit's default SBOM generator, which is an image from Docker Hub
that these machines cannot pull. It follows BuildKit's SBOM generator protocol: it reads
the root filesystems BuildKit mounts and writes, for each, an in-toto statement holding
an SPDX document of the Python distributions and Debian packages installed there."""

import email.parser
import json
import os
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path


def python_packages(root: Path) -> list[tuple[str, str, str]]:
    found = []
    for metadata in root.glob("**/*.dist-info/METADATA"):
        headers = email.parser.Parser().parsestr(metadata.read_text(errors="replace"))
        found.append((headers["Name"], headers["Version"], "pypi"))
    return found


def debian_packages(root: Path) -> list[tuple[str, str, str]]:
    status = root / "var/lib/dpkg/status"
    if not status.is_file():
        return []
    found = []
    for stanza in status.read_text(errors="replace").split("\n\n"):
        fields = dict(
            line.split(": ", 1) for line in stanza.splitlines() if ": " in line and line[0] != " "
        )
        if "Package" in fields and "installed" in fields.get("Status", ""):
            found.append((fields["Package"], fields["Version"], "deb"))
    return found


def spdx(name: str, packages: list[tuple[str, str, str]]) -> dict:
    return {
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": name,
        "documentNamespace": f"https://spdx.invalid/ci-sbom-scanner/{uuid.uuid4()}",
        "creationInfo": {
            "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "creators": ["Tool: minimal-py-poetry-ci-sbom-scanner"],
        },
        "packages": [
            {
                "name": package,
                "SPDXID": f"SPDXRef-Package-{number}",
                "versionInfo": version,
                "downloadLocation": "NOASSERTION",
                "externalRefs": [
                    {
                        "referenceCategory": "PACKAGE-MANAGER",
                        "referenceType": "purl",
                        "referenceLocator": f"pkg:{kind}/{package}@{version}",
                    }
                ],
            }
            for number, (package, version, kind) in enumerate(sorted(packages))
        ],
    }


def scan(root: Path, destination: Path) -> None:
    statement = {
        "_type": "https://in-toto.io/Statement/v0.1",
        "predicateType": "https://spdx.dev/Document",
        "subject": [],
        "predicate": spdx(root.name, python_packages(root) + debian_packages(root)),
    }
    (destination / f"{root.name}.spdx.json").write_text(json.dumps(statement))


def main() -> int:
    destination = Path(os.environ["BUILDKIT_SCAN_DESTINATION"])
    scan(Path(os.environ["BUILDKIT_SCAN_SOURCE"]), destination)
    extras = Path(os.environ.get("BUILDKIT_SCAN_SOURCE_EXTRAS") or "/nonexistent")
    for root in sorted(extras.iterdir()) if extras.is_dir() else []:
        scan(root, destination)
    return 0


if __name__ == "__main__":
    sys.exit(main())
