# For machines without a registry: one of CI's engines, built from Debian's archive. CI
# (engines.sh) builds it on a Debian rootfs (FROM scratch), with the engine's packages,
# and runs it as a container that hosts that engine; beside it, what the test commands
# need (engine-packages).
FROM scratch
ADD rootfs.tar /
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
ENV PIP_CERT=$SSL_CERT_FILE \
    REQUESTS_CA_BUNDLE=$SSL_CERT_FILE \
    NODE_EXTRA_CA_CERTS=$SSL_CERT_FILE
ARG PACKAGES
# hadolint ignore=DL3008,SC2086
RUN apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        $PACKAGES >/dev/null \
    && rm -rf /var/lib/apt/lists/*
CMD ["sleep", "infinity"]
