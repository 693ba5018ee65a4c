# A base image as companies build their own: the distribution's python3, its venv
# module and its pip, which refuses changes (PEP 668), and a user that already holds
# UID 1000, as in Ubuntu's images. The release's Python is the oldest that
# pyproject.toml admits; test_platforms.py checks that the two agree.
ARG DEBIAN_IMAGE=debian:bookworm-slim
FROM ${DEBIAN_IMAGE}
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates python3 python3-pip python3-venv \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 ubuntu
