# CI's stand-in for BuildKit's default SBOM generator (sbom-scanner.py says why), on
# CI's stand-in for the default Python image.
ARG BASE
FROM ${BASE}
COPY sbom-scanner.py /usr/local/bin/
CMD ["python3", "/usr/local/bin/sbom-scanner.py"]
