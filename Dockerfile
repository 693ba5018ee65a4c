# One Dockerfile; its stages and who uses each:
#   python-image  the default base image, in a FROM line of its own for Dependabot
#   base       the Python image and the settings every stage shares
#   poetry     uv, Poetry in a venv of its own, and an empty /opt/venv
#   build      poetry plus the runtime dependencies in /opt/venv, from poetry.lock alone
#   dev-tools  base plus git, shellcheck and the dev user, built beside poetry and build
#   dev        dev-tools, build's venvs and the dev dependencies: the dev container,
#              `docker compose up` and the test command
#   wheel      poetry plus the app as a wheel in a tree of its own, built beside build
#   prod       build's /opt/venv and wheel's tree on the base: deploys, `docker build .`

# Unset or empty, PYTHON_IMAGE is the official image below.
ARG PYTHON_IMAGE
ARG POETRY_VENV=/opt/poetry
ARG UV_VENV=/opt/uv
ARG APP_TREE=/app-tree
ARG DEV_USER=dev
# Where pip, uv and Poetry cache as root, and where they look for index logins.
ARG CACHE_DIR=/root/.cache
ARG NETRC=/root/.netrc
# Empty means PyPI itself; set it to use a mirror (Artifactory, Nexus, devpi). Its
# login, like a private index's, comes from the `netrc` secret, never from the URL: a
# build argument is recorded in the image history.
ARG POETRY_PYPI_MIRROR_URL=""
FROM python:3.15-slim AS python-image

FROM ${PYTHON_IMAGE:-python-image} AS base
# Set (deploy/publish sets it from the commit), it makes every stage's bytecode record
# source hashes instead of build times, so that two builds of a commit are identical.
ARG SOURCE_DATE_EPOCH
# - VIRTUAL_ENV, PATH: python3 and every console script resolve to the project venv.
# - PYTHONUNBUFFERED: log lines reach `docker logs` as they are written.
# - SSL_CERT_FILE, PIP_CERT, REQUESTS_CA_BUNDLE: uv, pip, Poetry and the app trust the
#   system CA bundle, so that a `ca-bundle` secret mounted over it for a download step
#   reaches them all without entering a layer, and a company CA in the base is trusted.
ENV VIRTUAL_ENV=/opt/venv \
    PYTHONUNBUFFERED=1 \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
ENV PATH=$VIRTUAL_ENV/bin:$PATH \
    PIP_CERT=$SSL_CERT_FILE \
    REQUESTS_CA_BUNDLE=$SSL_CERT_FILE
# Every step stops at its first failing command, in a pipe too.
SHELL ["/bin/bash", "-euo", "pipefail", "-c"]
# The official images ship a system-wide pip, which has no place in production. A
# distribution's own pip (PEP 668: "externally managed") belongs to its package manager
# and stays; no venv here can import it.
RUN <<EOF
stdlib=$(python3 -c 'import sysconfig; print(sysconfig.get_path("stdlib"))')
if python3 -m pip --version >/dev/null 2>&1 && [ ! -e "$stdlib/EXTERNALLY-MANAGED" ]; then
    python3 -m pip uninstall --yes --quiet pip
fi
EOF

FROM base AS poetry
ARG POETRY_VENV UV_VENV CACHE_DIR NETRC POETRY_PYPI_MIRROR_URL
ARG UV_VERSION=0.13.9
ARG POETRY_VERSION=2.5.1
ARG POETRY_MIRROR_PLUGIN_VERSION=0.6.5
# Every download step takes the optional `netrc` and `ca-bundle` secrets, which enter
# no layer, and runs under index-login-hint, which says so when an index refuses.
COPY --chmod=755 docker/index-login-hint /usr/local/bin/
# uv installs Poetry several times faster than pip would; Poetry gets a venv of its own
# so that neither it nor its dependencies ever land in /opt/venv.
RUN --mount=type=secret,id=ca-bundle,target=$SSL_CERT_FILE \
    --mount=type=secret,id=netrc,target=$NETRC \
    --mount=type=cache,target=$CACHE_DIR <<EOF
python3 -m venv "$UV_VENV"
index-login-hint "$UV_VENV/bin/pip" install --quiet --no-input \
    ${POETRY_PYPI_MIRROR_URL:+--index-url="$POETRY_PYPI_MIRROR_URL"} "uv==$UV_VERSION"
ln -s "$UV_VENV/bin/uv" /usr/local/bin/uv
python3 -m venv --without-pip "$POETRY_VENV"
index-login-hint uv pip install --quiet --python "$POETRY_VENV/bin/python" \
    ${POETRY_PYPI_MIRROR_URL:+--index-url="$POETRY_PYPI_MIRROR_URL"} \
    "poetry==$POETRY_VERSION" "poetry-plugin-pypi-mirror==$POETRY_MIRROR_PLUGIN_VERSION"
ln -s "$POETRY_VENV/bin/poetry" /usr/local/bin/poetry
python3 -m venv --without-pip "$VIRTUAL_ENV"
EOF

WORKDIR /src

FROM poetry AS build
COPY pyproject.toml poetry.lock ./
# Only the lock decides this layer, so an app-only change reuses it. A stale lock
# fails here, before any download, with Poetry's advice to run `poetry lock`.
RUN --mount=type=secret,id=ca-bundle,target=$SSL_CERT_FILE \
    --mount=type=secret,id=netrc,target=$NETRC \
    --mount=type=cache,target=$CACHE_DIR \
    index-login-hint poetry install --only main --no-root --no-interaction --compile

FROM base AS dev-tools
ARG DEV_USER
# git for the developer, and shellcheck for pre-commit from the distribution, which
# builds it for every architecture (PyPI has no Linux arm64 build); apt keeps no lists
# or packages in the layer, whatever the base configures. The venv group keeps
# /opt/venv writable to the dev user after the Dev Containers CLI remaps its UID to the
# host user's. UID 1000, which Codespaces expects, may be taken by the base (Ubuntu's
# images have an "ubuntu" user): that user gives way.
# hadolint ignore=DL3008
RUN --mount=type=secret,id=ca-bundle,target=$SSL_CERT_FILE <<EOF
apt-get update
apt-get install -y --no-install-recommends git shellcheck
apt-get clean
rm -rf /var/lib/apt/lists/*
if taken=$(getent passwd 1000); then userdel --remove "${taken%%:*}"; fi
groupadd --system venv
useradd --create-home --shell /bin/bash --uid 1000 --groups venv "$DEV_USER"
EOF

FROM dev-tools AS dev
ARG POETRY_VENV CACHE_DIR NETRC POETRY_PYPI_MIRROR_URL DEV_USER
COPY --from=build $POETRY_VENV $POETRY_VENV
COPY --from=build /usr/local/bin/poetry /usr/local/bin/index-login-hint /usr/local/bin/
COPY --from=build $VIRTUAL_ENV $VIRTUAL_ENV
WORKDIR /src
COPY --from=build /src ./
# The dev tools go without bytecode: a build runs none of them, and Python writes it
# on first use, into a venv the dev user may write.
RUN --mount=type=secret,id=ca-bundle,target=$SSL_CERT_FILE \
    --mount=type=secret,id=netrc,target=$NETRC \
    --mount=type=cache,target=$CACHE_DIR <<EOF
index-login-hint poetry install --no-root --no-interaction
chgrp -R venv "$VIRTUAL_ENV"
chmod -R g+w "$VIRTUAL_ENV"
find "$VIRTUAL_ENV" -type d -exec chmod g+s {} +
EOF

USER $DEV_USER

FROM poetry AS wheel
ARG APP_TREE CACHE_DIR NETRC POETRY_PYPI_MIRROR_URL
COPY . ./
# A wheel, not an editable install: prod has /opt/venv and nothing of /src. uv builds it
# with the backend pyproject.toml declares and installs it for /opt/venv's interpreter,
# which its console scripts then name, into a tree that prod takes as a layer of its
# own; without installer metadata, which records the wheel's build time.
RUN --mount=type=secret,id=ca-bundle,target=$SSL_CERT_FILE \
    --mount=type=secret,id=netrc,target=$NETRC \
    --mount=type=cache,target=$CACHE_DIR <<EOF
index-login-hint uv build --wheel --quiet --out-dir /tmp/dist \
    ${POETRY_PYPI_MIRROR_URL:+--index-url="$POETRY_PYPI_MIRROR_URL"}
uv pip install --quiet --no-deps --no-installer-metadata --compile-bytecode \
    --python "$VIRTUAL_ENV/bin/python" --prefix "$APP_TREE" /tmp/dist/*.whl
EOF

# Same base as the build stage: the venv's interpreter links and compiled wheels
# only hold on the Python they were built against.
FROM base AS prod
ARG APP_TREE
ENV PORT=8000
# Dependencies first: an app-only change leaves their layer as it was.
COPY --from=build $VIRTUAL_ENV $VIRTUAL_ENV
WORKDIR /srv
COPY gunicorn.conf.py ./
COPY --from=wheel $APP_TREE/ $VIRTUAL_ENV/
# Any UID the platform picks works: nothing here needs to be written.
USER 10001:0
EXPOSE $PORT
HEALTHCHECK --interval=30s --timeout=3s --start-period=5s \
    CMD ["python3", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ['PORT'] + '/health', timeout=2)"]
CMD ["gunicorn"]
# The standard OCI labels: deploy/publish sets these from the repository, the commit
# and the base image; a local build says it is a development build of unknown origin.
ARG IMAGE_SOURCE=unknown
ARG IMAGE_REVISION=unknown
ARG IMAGE_VERSION=dev
ARG IMAGE_CREATED=unknown
ARG IMAGE_BASE_NAME=unknown
ARG IMAGE_BASE_DIGEST=unknown
LABEL org.opencontainers.image.source=$IMAGE_SOURCE \
      org.opencontainers.image.revision=$IMAGE_REVISION \
      org.opencontainers.image.version=$IMAGE_VERSION \
      org.opencontainers.image.created=$IMAGE_CREATED \
      org.opencontainers.image.base.name=$IMAGE_BASE_NAME \
      org.opencontainers.image.base.digest=$IMAGE_BASE_DIGEST
