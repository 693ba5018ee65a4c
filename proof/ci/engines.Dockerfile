# For machines without a registry: CI's own engines, built from Debian's archive.
# Debian unstable's current Docker Engine with buildx and compose, rootless Podman with
# podman-compose, a registry and skopeo for the publish tests, and what the test
# command needs beside them. .ci/run builds it on a Debian rootfs (FROM scratch) and
# runs it as a container that hosts those engines.
FROM scratch
ADD rootfs.tar /
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
ENV PIP_CERT=$SSL_CERT_FILE \
    REQUESTS_CA_BUNDLE=$SSL_CERT_FILE \
    NODE_EXTRA_CA_CERTS=$SSL_CERT_FILE
# hadolint ignore=DL3008
RUN apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        docker.io docker-cli docker-buildx docker-compose containerd runc \
        podman buildah passt fuse-overlayfs uidmap nftables aardvark-dns podman-compose rootlesskit \
        docker-registry apache2-utils skopeo \
        nodejs npm python3 python3-venv git openssl iproute2 procps iptables >/dev/null \
    && rm -rf /var/lib/apt/lists/*
CMD ["sleep", "infinity"]
